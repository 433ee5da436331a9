#!/usr/bin/env python3
"""Records the reference values the runtime tests compare against. Run once with Debian's python3-numpy,
python3-torch and python3-pil (apt install python3-numpy python3-torch python3-pil); the outputs are committed.

- numpy_permutations.json: np.random.seed(s); np.random.permutation(n) — the stream fastai 0.7's get_cv_idxs uses.
- numpy_permutations_large.json: the ends of np.random.permutation(70000) after seed 42 (masked draws past 2**16).
- torch_randperm.json:     torch.manual_seed(s); torch.randperm(n)  — the permutation fastai 2's RandomSplitter uses.
- cmyk.jpg, grey.jpg:      a CMYK and a greyscale JPEG (Planet's images are CMYK) with their expected RGB pixels
                           as Pillow decodes them (images_expected.json).
"""
import json
import os

import numpy as np
import torch
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))


def write_json(name, value):
    with open(os.path.join(here, name), "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


perms = []
for seed, n in [(42, 10), (42, 100), (42, 25), (7, 30)]:
    np.random.seed(seed)
    perms.append({"seed": seed, "n": n, "permutation": np.random.permutation(n).tolist()})
write_json("numpy_permutations.json", perms)

# Past 2**16 items NumPy's bounded draws mask with every smearing step; the whole permutation is large, so keep its ends
# (the first draws fix the last entries, and a wrong draw changes every later one).
np.random.seed(42)
large = np.random.permutation(70000).tolist()
write_json("numpy_permutations_large.json", [{"seed": 42, "n": 70000, "permutation": large[:101] + large[-101:]}])

randperms = []
for seed, n in [(42, 10), (42, 1000), (0, 50)]:
    torch.manual_seed(seed)
    randperms.append({"seed": seed, "n": n, "permutation": torch.randperm(n).tolist()})
write_json("torch_randperm.json", randperms)

# 16x8 images: left half one colour, right half another.
rgb = Image.new("RGB", (16, 8), (200, 40, 30))
rgb.paste((20, 90, 220), (8, 0, 16, 8))
cmyk = rgb.convert("CMYK")
cmyk.save(os.path.join(here, "cmyk.jpg"), quality=100, subsampling=0)
grey = rgb.convert("L")
grey.save(os.path.join(here, "grey.jpg"), quality=100, subsampling=0)

expected = {}
for name in ["cmyk.jpg", "grey.jpg"]:
    im = Image.open(os.path.join(here, name))
    mode = im.mode
    px = im.convert("RGB")
    expected[name] = {"mode": mode, "left": list(px.getpixel((2, 4))), "right": list(px.getpixel((13, 4)))}
write_json("images_expected.json", expected)
print("fixtures written to", here)
