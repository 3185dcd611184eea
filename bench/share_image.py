"""What a share image costs: drawing one (per language) and serving a cached one.

Times ``statements.sharing.drawing.draw_share_image`` for a two-line title in
each language (the median of 20 drawings, after one to load the fonts), then
the cache read that serves every later request for the same title and count
step (the median of 1,000 reads of the PNG's bytes).

    .venv/bin/python bench/share_image.py            # in-process cache
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/share_image.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.utils import translation  # noqa: E402

from statements.sharing import drawing  # noqa: E402
from statements.sharing.services import count_text  # noqa: E402

TITLES = {
    "en": "Cancel the visit and refer the situation to the International "
    "Criminal Court",
    "fr": "Annulez la visite et saisissez la Cour pénale internationale",
    "es": "Cancelen la visita y remitan la situación a la Corte Penal Internacional",
    "ar": "ألغوا الزيارة وأحيلوا الوضع إلى المحكمة الجنائية الدولية",
    "my": "ခရီးစဉ်ကို ဖျက်သိမ်းပြီး အခြေအနေကို အပြည်ပြည်ဆိုင်ရာ ရာဇဝတ်ခုံရုံးသို့ လွှဲပြောင်းပါ",
}


def _median_ms(run, times: int) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


def main() -> None:
    png = b""
    for language, title in TITLES.items():
        with translation.override(language):

            def draw(title: str = title, language: str = language) -> bytes:
                return drawing.draw_share_image(
                    site_name="Campaign",
                    title=title,
                    count=count_text(12_345),
                    language=language,
                    rtl=translation.get_language_bidi(),
                )

            png = draw()  # loads the fonts
            print(f"draw {language}: {_median_ms(draw, 20):7.1f} ms ({len(png):,} B)")
    cache.set("bench-share-image", png, 60)
    hit = _median_ms(lambda: cache.get("bench-share-image"), 1000)
    print(f"cached hit ({cache.__class__.__name__}): {hit:7.3f} ms")
    cache.delete("bench-share-image")


if __name__ == "__main__":
    main()
