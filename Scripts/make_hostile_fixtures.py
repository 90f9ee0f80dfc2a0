#!/usr/bin/env python3
"""Writes the crafted inputs of the hardening tests into Tests/Fixtures/hostile/ (a few KB in all).

    .venv/bin/python Scripts/make_hostile_fixtures.py

  stride0_expand.bin   a valid torch checkpoint whose one tensor is torch.zeros(1).expand(2**20, 2**20):
                       4 bytes of storage, a [1048576, 1048576] view with strides (0, 0) (4.4 TB as fp32)
  empty_state_dict.bin torch.save({}): a checkpoint with no tensors
  tall_1x3000000.png   a 1 x 3,000,000 red PNG (11.7 KB), whose shortest-edge resize is 96 million rows tall
"""
import os

import torch
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests/Fixtures/hostile")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.save({"w": torch.zeros(1).expand(2**20, 2**20)}, os.path.join(OUT, "stride0_expand.bin"))
    torch.save({}, os.path.join(OUT, "empty_state_dict.bin"))
    Image.new("RGB", (1, 3_000_000), (255, 0, 0)).save(os.path.join(OUT, "tall_1x3000000.png"))
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == "__main__":
    main()
