#!/usr/bin/env python3
"""The Python peer for the serving benchmark: transformers' AltCLIPModel behind a minimal uvicorn app
that batches like `altclip serve` (texts up to a padded-token budget, images up to a count, at most
--max-queue-delay-ms of waiting), with the same `POST /v1/embeddings` request and response shapes.

    .venv/bin/python Scripts/serve_py_peer.py --model DIR --port 8081 [--threads 2]

Only for Scripts/bench_serve.py (infinity-emb cannot load AltCLIP, so the peer is written here).
"""
import argparse
import asyncio
import base64
import io
import queue
import threading
import time

import torch
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from transformers import AltCLIPModel, AltCLIPProcessor


class Batcher:
    def __init__(self, model, processor, max_tokens, max_images, delay):
        self.model, self.processor = model, processor
        self.max_tokens, self.max_images, self.delay = max_tokens, max_images, delay
        self.q = {"text": [], "image": []}
        self.cv = threading.Condition()
        self.last = "image"
        threading.Thread(target=self.run, daemon=True).start()

    def submit(self, kind, items, loop):
        futures = [loop.create_future() for _ in items]
        with self.cv:
            now = time.monotonic()
            self.q[kind] += [(item, f, loop, now) for item, f in zip(items, futures)]
            self.cv.notify()
        return futures

    def take(self, kind):
        q = self.q[kind]
        if kind == "image":
            n = min(len(q), self.max_images)
        else:
            n, longest = 0, 0
            for item, *_ in q:
                widest = max(longest, len(item))
                if n > 0 and (n + 1) * widest > self.max_tokens:
                    break
                n, longest = n + 1, widest
        batch, self.q[kind] = q[:n], q[n:]
        return batch

    def full(self, kind):
        q = self.q[kind]
        return len(self.take_preview(kind)) < len(q) or (kind == "image" and len(q) >= self.max_images)

    def take_preview(self, kind):
        saved = list(self.q[kind])
        batch = self.take(kind)
        self.q[kind] = saved
        return batch

    def run(self):
        while True:
            with self.cv:
                while not self.q["text"] and not self.q["image"]:
                    self.cv.wait()
                if self.q["text"] and self.q["image"]:
                    kind = "image" if self.last == "text" else "text"
                else:
                    kind = "text" if self.q["text"] else "image"
                deadline = self.q[kind][0][3] + self.delay
                while not self.full(kind) and time.monotonic() < deadline:
                    self.cv.wait(timeout=max(deadline - time.monotonic(), 0))
                batch = self.take(kind)
                self.last = kind
            with torch.inference_mode():
                if kind == "text":
                    longest = max(len(ids) for ids, *_ in batch)
                    pad = self.processor.tokenizer.pad_token_id
                    ids = torch.tensor([i + [pad] * (longest - len(i)) for i, *_ in batch])
                    mask = torch.tensor([[1] * len(i) + [0] * (longest - len(i)) for i, *_ in batch])
                    out = self.model.get_text_features(input_ids=ids, attention_mask=mask)
                else:
                    pixels = torch.cat([p for p, *_ in batch])
                    out = self.model.get_image_features(pixel_values=pixels)
                out = out if isinstance(out, torch.Tensor) else out.pooler_output
                out = torch.nn.functional.normalize(out, dim=-1).tolist()
            for (_, future, loop, _), row in zip(batch, out):
                loop.call_soon_threadsafe(future.set_result, row)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--max-batch-tokens", type=int, default=4096)
    ap.add_argument("--max-batch-images", type=int, default=8)
    ap.add_argument("--max-queue-delay-ms", type=float, default=5)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = AltCLIPModel.from_pretrained(args.model, attn_implementation="eager").eval()
    processor = AltCLIPProcessor.from_pretrained(args.model)
    batcher = Batcher(model, processor, args.max_batch_tokens, args.max_batch_images, args.max_queue_delay_ms / 1000)

    async def embeddings(request):
        body = await request.json()
        items = body["input"] if isinstance(body["input"], list) else [body["input"]]
        loop = asyncio.get_running_loop()
        texts = [(i, x) for i, x in enumerate(items) if isinstance(x, str)]
        images = [(i, x["image"]) for i, x in enumerate(items) if isinstance(x, dict)]
        futures = {}
        if texts:
            ids = [processor.tokenizer(t)["input_ids"][:processor.tokenizer.model_max_length] for _, t in texts]
            for (i, _), f in zip(texts, batcher.submit("text", ids, loop)):
                futures[i] = f
        if images:
            pixels = []
            for _, uri in images:
                data = base64.b64decode(uri.split(",", 1)[-1])
                pixels.append(processor.image_processor(Image.open(io.BytesIO(data)).convert("RGB"), return_tensors="pt")["pixel_values"])
            for (i, _), f in zip(images, batcher.submit("image", pixels, loop)):
                futures[i] = f
        rows = [await futures[i] for i in range(len(items))]
        return JSONResponse({"object": "list", "model": "altclip", "usage": {"prompt_tokens": 0, "total_tokens": 0},
                             "data": [{"object": "embedding", "index": i, "embedding": r} for i, r in enumerate(rows)]})

    async def health(request):
        return Response(status_code=200)

    app = Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"]), Route("/health", health)])
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
