"""Images by content key, as PNG bytes in the database: every process and node reads the same image by its key."""

from __future__ import annotations

import io
import time

from PIL import Image
from sqlalchemy import Engine, select

from segchat.agent.serving.store.engine import insert_ignoring_duplicates
from segchat.agent.serving.store.tables import images
from segchat.contracts.errors import SessionNotFoundError
from segchat.segmenter.images import image_digest


class ImageTable:
    """The store's image methods (a part of `SessionStore`)."""

    engine: Engine

    @staticmethod
    def image_key(image: Image.Image) -> str:
        """The name an image is stored under: its content digest (never a name the client chose)."""
        return image_digest(image)

    def save_image(self, image: Image.Image, key: str | None = None, png: bytes | None = None) -> str:
        """Store `image` under its key (a no-op when it is already there); returns the key. `png`: the upload's own
        file when it is a PNG of exactly these pixels (`segmenter.images.png_as_read`), kept as it came."""
        key = key or image_digest(image)
        if not self.has_image(key):  # PNG encoding costs more than the look-up
            if png is None:
                buffer = io.BytesIO()
                # the fastest deflate level: a first turn pays for this encoding, and level 6 (Pillow's default)
                # costs 3-4x the time for files about a quarter smaller; lossless either way
                image.save(buffer, format="PNG", compress_level=1)
                png = buffer.getvalue()
            with self.engine.begin() as connection:  # two requests storing the same image at once: one row
                insert_ignoring_duplicates(connection, images, key=key, png=png, created=time.time())
        return key

    def has_image(self, key: str) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(images.c.key).where(images.c.key == key)).first() is not None

    def image_png(self, key: str) -> bytes:
        """The stored PNG file of the image `key`, byte for byte (SessionNotFoundError when there is none)."""
        if not key.isalnum():  # keys are digests; anything else came from outside
            raise SessionNotFoundError("unknown image")
        with self.engine.connect() as connection:
            png = connection.execute(select(images.c.png).where(images.c.key == key)).scalar_one_or_none()
        if png is None:
            raise SessionNotFoundError("unknown image")
        return png

    def load_image(self, key: str) -> Image.Image:
        with Image.open(io.BytesIO(self.image_png(key))) as image:
            return image.convert("RGB")

    def image_keys(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(images.c.key).order_by(images.c.key)).scalars())
