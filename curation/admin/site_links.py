"""The change page's "View on site" link, where the object can be seen by the admin looking.

Django's link goes to `get_absolute_url` whatever the row's state: for an article that is
not live that page does not exist yet (a 404 for readers) and for a topic no live article
carries neither does the topic page. The model says where its row can be seen, for whom
(`seen_at`, see curation.models.visibility); the link follows it, says which side it
opens, and is left out when there is nowhere to go.
"""


class SeenAtLinkAdmin:
    """ModelAdmin mixin for a model with `seen_at(user)`."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
        place = obj.seen_at(request.user) if obj is not None and obj.pk is not None else None
        # Read by templates/admin/curation/change_form_object_tools.html.
        response.context_data.update(
            has_absolute_url=place is not None,
            absolute_url=place.url if place else None,
            absolute_url_in_curator=bool(place and not place.public),
        )
        return response
