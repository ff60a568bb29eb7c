"""Markdown to safe HTML, run once when a post is saved (never on read)."""

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "figcaption", "figure", "h2", "h3", "h4",
    "hr", "img", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
}
MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]


def render_markdown(text):
    """Render an editor's Markdown and strip anything a reader's browser should not run."""
    html = markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
    )
