"""Photo-like test images, made on the spot (no binary fixtures in the repository)."""

import io

from PIL import Image


def photo_bytes(size=(1600, 1000), image_format="JPEG", variant=0):
    """Smooth gradients, fine detail and sensor noise, like a photo; variant shifts the detail."""
    gradient = Image.linear_gradient("L").resize(size)
    shift = variant * 0.01
    detail = Image.effect_mandelbrot(size, (-2.0 + shift, -1.2 + shift, 1.0 + shift, 1.2 + shift), 80)
    noise = Image.effect_noise(size, 18)
    image = Image.merge("RGB", (gradient, detail, Image.blend(gradient, noise, 0.35)))
    if image_format in ("PNG", "WEBP", "GIF"):
        image = image.convert("RGBA" if image_format != "GIF" else "P")
    output = io.BytesIO()
    image.save(output, format=image_format, **({"quality": 92} if image_format == "JPEG" else {}))
    return output.getvalue()
