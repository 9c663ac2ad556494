"""Draws the demo staff portraits (flat illustrations, 600x800 JPEG, blue ID-photo
background). Run once by hand; the JPEGs are committed. Needs Pillow."""
import sys
from pathlib import Path
from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parent.parent / "photos"

# employee_no, gender, skin, hair colour, uniform colour, hair style
PEOPLE = [
    ("100101", "f", (241, 205, 176), (38, 30, 28), (31, 58, 110), "bob"),
    ("100102", "m", (231, 190, 160), (25, 22, 22), (31, 58, 110), "short"),
    ("100103", "f", (236, 198, 168), (52, 38, 32), (31, 58, 110), "long"),
    ("100104", "m", (226, 184, 152), (30, 26, 24), (31, 58, 110), "side"),
    ("100105", "f", (244, 210, 184), (45, 33, 30), (31, 58, 110), "bun"),
    ("100106", "m", (222, 180, 148), (60, 60, 62), (31, 58, 110), "short"),
    ("100107", "f", (238, 200, 172), (35, 28, 26), (31, 58, 110), "long"),
    ("100108", "m", (233, 192, 163), (28, 24, 22), (31, 58, 110), "side"),
]

W, H = 600, 800


def portrait(gender, skin, hair, uniform, style):
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    for y in range(H):  # ID-photo blue, lighter at the top
        t = y / H
        d.line([(0, y), (W, y)], fill=(int(92 + 40 * (1 - t)), int(150 + 40 * (1 - t)), int(214 + 30 * (1 - t))))
    shade = tuple(max(0, c - 25) for c in skin)
    if style == "long":  # hair behind the shoulders
        d.rounded_rectangle([168, 230, 432, 640], radius=120, fill=hair)
    # shoulders and uniform
    d.ellipse([40, 560, 560, 1100], fill=uniform)
    d.polygon([(300, 620), (235, 560), (365, 560)], fill=(250, 250, 250))  # shirt
    d.polygon([(300, 640), (285, 600), (315, 600)], fill=(170, 30, 40) if gender == "m" else (250, 250, 250))
    d.polygon([(210, 575), (300, 700), (250, 560)], fill=tuple(max(0, c - 15) for c in uniform))
    d.polygon([(390, 575), (300, 700), (350, 560)], fill=tuple(max(0, c - 15) for c in uniform))
    d.rounded_rectangle([380, 640, 470, 690], radius=6, fill=(232, 236, 240))  # name badge
    d.rectangle([390, 652, 460, 658], fill=(150, 160, 175))
    # neck and head
    d.rounded_rectangle([255, 470, 345, 590], radius=30, fill=shade)
    d.ellipse([190, 220, 410, 500], fill=skin)
    d.ellipse([178, 330, 208, 390], fill=skin)  # ears
    d.ellipse([392, 330, 422, 390], fill=skin)
    # hair
    if style == "short":
        d.chord([186, 196, 414, 420], 180, 360, fill=hair)
        d.rectangle([186, 300, 204, 350], fill=hair)
        d.rectangle([396, 300, 414, 350], fill=hair)
    elif style == "side":
        d.chord([184, 192, 416, 430], 180, 360, fill=hair)
        d.polygon([(190, 310), (330, 250), (410, 320), (410, 270), (300, 215)], fill=hair)
    elif style == "bob":
        d.chord([176, 190, 424, 450], 180, 360, fill=hair)
        d.rectangle([176, 318, 214, 450], fill=hair)
        d.rectangle([386, 318, 424, 450], fill=hair)
    elif style == "bun":
        d.ellipse([250, 150, 350, 240], fill=hair)
        d.chord([184, 196, 416, 440], 180, 360, fill=hair)
    else:  # long
        d.chord([176, 192, 424, 450], 180, 360, fill=hair)
        d.rectangle([176, 318, 210, 520], fill=hair)
        d.rectangle([390, 318, 424, 520], fill=hair)
    # face
    brow = tuple(max(0, c - 10) for c in hair)
    d.line([(240, 348), (280, 342)], fill=brow, width=7)
    d.line([(320, 342), (360, 348)], fill=brow, width=7)
    d.ellipse([250, 362, 272, 384], fill=(40, 32, 30))
    d.ellipse([328, 362, 350, 384], fill=(40, 32, 30))
    d.ellipse([256, 366, 262, 372], fill=(255, 255, 255))
    d.ellipse([334, 366, 340, 372], fill=(255, 255, 255))
    d.line([(300, 390), (292, 425), (306, 428)], fill=shade, width=4)
    d.arc([262, 420, 338, 468], 20, 160, fill=(180, 80, 80), width=6)
    if gender == "f":
        d.ellipse([228, 410, 262, 430], fill=(240, 170, 160))
        d.ellipse([338, 410, 372, 430], fill=(240, 170, 160))
    return img.filter(ImageFilter.SMOOTH)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for no, gender, skin, hair, uniform, style in PEOPLE:
        portrait(gender, skin, hair, uniform, style).save(OUT / f"{no}.jpg", quality=88)
    print(f"wrote {len(PEOPLE)} portraits to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
