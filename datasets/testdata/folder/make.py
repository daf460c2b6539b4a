# Makes the fixtures of the folder dataset's tests with PIL (Debian's
# python3-pil 9.4.0): run `/usr/bin/python3 make.py` here. The Go tests only
# read the files; they do not need Python.
#
#   resize_in_{rgb,gray}.png        random images
#   resize_out_NAME_HxW.png         PIL's im.resize((W, H), Image.BILINEAR)
#   lossless.webp, webp_src.png     a lossless WebP and its pixels
#   small.jpg, small_jpg_pil.png    a JPEG (quality 90) and PIL's decode of it
from PIL import Image
import random

random.seed(7)


def rnd(mode, w, h):
    n = {"L": 1, "RGB": 3}[mode]
    return Image.frombytes(mode, (w, h), bytes(random.randrange(256) for _ in range(w * h * n)))


ins = {"rgb": rnd("RGB", 7, 5), "gray": rnd("L", 9, 6), "big": rnd("L", 40, 33)}
sizes = {
    "rgb": [(3, 2), (11, 13), (5, 3), (2, 7), (1, 1), (16, 16), (4, 10)],
    "gray": [(3, 2), (11, 13), (6, 3), (2, 9), (1, 1), (16, 16), (4, 10)],
    "big": [(5, 7), (3, 3), (33, 8), (17, 40), (66, 81)],
}
for name, im in ins.items():
    im.save("resize_in_%s.png" % name)
    for oh, ow in sizes[name]:
        im.resize((ow, oh), Image.BILINEAR).save("resize_out_%s_%dx%d.png" % (name, oh, ow))

wp = rnd("RGB", 6, 4)
wp.save("webp_src.png")
wp.save("lossless.webp", lossless=True)
assert Image.open("lossless.webp").convert("RGB").tobytes() == wp.tobytes()

j = Image.new("RGB", (16, 16))
j.putdata([(x * 16, y * 16, (x + y) * 8) for y in range(16) for x in range(16)])
j.save("small.jpg", quality=90)
Image.open("small.jpg").convert("RGB").save("small_jpg_pil.png")
