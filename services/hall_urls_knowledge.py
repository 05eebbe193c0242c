"""/help/: knowledge articles and FAQ (public)."""

from django.urls import path

from services.views import knowledge

app_name = "knowledge"

urlpatterns = [
    path("", knowledge.help_index, name="index"),
    path("faq/", knowledge.faq, name="faq"),
    path("<slug:slug>/", knowledge.article, name="article"),
]
