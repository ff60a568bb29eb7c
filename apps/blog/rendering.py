"""Markdown to safe HTML, run once when a post is saved (never on read).

Library images go into a body as `![alt](image:42 "Optional caption")`. The
render replaces each reference with the image's pre-generated body sizes
(settings.BODY_IMAGE_ALIASES): a <figure> when the reference stands alone in
its paragraph, an inline <img> otherwise. A reference to an image that does
not exist is left out, never rendered as a broken image.
"""

import re
import xml.etree.ElementTree as etree
from typing import NamedTuple

import markdown
import nh3
from django.conf import settings
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from apps.images.models import LibraryImage

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "figcaption", "figure", "h2", "h3", "h4",
    "hr", "img", "li", "ol", "p", "pre", "small", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    # srcset, sizes, loading and decoding: the responsive, lazy body images.
    "img": {"src", "srcset", "sizes", "alt", "title", "width", "height", "loading", "decoding"},
    "td": {"align"},
    "th": {"align"},
}
MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]
IMAGE_REFERENCE_SCHEME = "image:"
IMAGE_REFERENCE_PATTERN = re.compile(r"!\[[^\]]*\]\(\s*image:(\d+)")
# The body column is var(--measure) = 42rem wide; narrower screens use their full width.
BODY_IMAGE_SIZES = "(min-width: 46rem) 42rem, 100vw"


class RenderedBody(NamedTuple):
    html: str
    # The library images the body shows (references to missing images excluded).
    image_ids: frozenset


def render_body(text):
    """Render an editor's Markdown and strip anything a reader's browser should not run."""
    library_images = LibraryImageReferences()
    html = markdown.markdown(text, extensions=[*MARKDOWN_EXTENSIONS, library_images], output_format="html")
    sanitized = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
    )
    return RenderedBody(sanitized, frozenset(library_images.shown_ids))


def render_markdown(text):
    return render_body(text).html


def referenced_image_ids(text):
    """Every library image id the Markdown refers to, existing or not (for the admin's warning)."""
    return {int(image_id) for image_id in IMAGE_REFERENCE_PATTERN.findall(text)}


class LibraryImageReferences(Extension):
    def __init__(self):
        super().__init__()
        self.shown_ids = set()

    def extendMarkdown(self, md):
        # After "inline" (20), which turns `![alt](image:42)` into <img src="image:42">.
        md.treeprocessors.register(LibraryImageProcessor(md, self.shown_ids), "library_images", 15)


class LibraryImageProcessor(Treeprocessor):
    def __init__(self, md, shown_ids):
        super().__init__(md)
        self.shown_ids = shown_ids

    def run(self, root):
        references = [element for element in root.iter("img") if _image_id(element) is not None]
        if not references:
            return
        # One query for every image of the body.
        library_images = LibraryImage.objects.in_bulk({_image_id(element) for element in references})
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "p" and _is_lone_reference(child):
                    reference = child[0]
                    library_image = library_images.get(_image_id(reference))
                    replacement = library_image and body_figure(library_image, reference)
                elif _image_id(child) is not None:
                    reference = child
                    library_image = library_images.get(_image_id(reference))
                    replacement = library_image and body_img(library_image, reference.get("alt"))
                else:
                    continue
                _replace(parent, child, replacement)
                if library_image:
                    self.shown_ids.add(library_image.pk)


def _image_id(element):
    source = element.get("src", "") if element.tag == "img" else ""
    image_id = source.removeprefix(IMAGE_REFERENCE_SCHEME)
    return int(image_id) if source.startswith(IMAGE_REFERENCE_SCHEME) and image_id.isdigit() else None


def _is_lone_reference(paragraph):
    return (
        len(paragraph) == 1
        and _image_id(paragraph[0]) is not None
        and not (paragraph.text or "").strip()
        and not (paragraph[0].tail or "").strip()
    )


def _replace(parent, child, replacement):
    """Put `replacement` where `child` was; with None, drop it and keep the text after it."""
    index = list(parent).index(child)
    if replacement is not None:
        replacement.tail = child.tail
        parent[index] = replacement
        return
    parent.remove(child)
    if child.tail:
        if index:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + child.tail
        else:
            parent.text = (parent.text or "") + child.tail


def body_img(library_image, alt=None):
    """The <img> of a library image at the body's width, with a srcset of every body size.

    Before the thumbnail task has run, the uploaded file stands in (its size
    is on the row); the task's thumbnails_stored signal re-renders the bodies
    that show it.
    """
    thumbnails = library_image.thumbnails
    body_sizes = [thumbnails[alias] for alias in settings.BODY_IMAGE_ALIASES if alias in thumbnails]
    default = thumbnails.get(settings.BODY_IMAGE_DEFAULT_ALIAS)
    attributes = {}
    if body_sizes and default:
        widths = {size["width"]: size["url"] for size in body_sizes}
        attributes["src"] = default["url"]
        attributes["srcset"] = ", ".join(f"{url} {width}w" for width, url in sorted(widths.items()))
        attributes["sizes"] = BODY_IMAGE_SIZES
        width, height = default["width"], default["height"]
    else:
        attributes["src"] = library_image.file.url
        width, height = library_image.width, library_image.height
    if width and height:
        attributes["width"], attributes["height"] = str(width), str(height)
    # The editor's alt text for this story, else the library's.
    attributes["alt"] = alt or library_image.alt_text
    attributes["loading"] = "lazy"
    attributes["decoding"] = "async"
    return etree.Element("img", attributes)


def body_figure(library_image, reference):
    figure = etree.Element("figure")
    figure.append(body_img(library_image, reference.get("alt")))
    caption, credit = reference.get("title"), library_image.credit
    if caption or credit:
        figcaption = etree.SubElement(figure, "figcaption")
        figcaption.text = f"{caption} " if caption and credit else caption
        if credit:
            etree.SubElement(figcaption, "small").text = credit
    return figure
