#!/usr/bin/env python3
"""Drives `altclip serve` with the real client libraries and checks their vectors against the CLI's.

    python3 -m venv .venv-clients && .venv-clients/bin/pip install -r Scripts/requirements-clients.txt
    .venv-clients/bin/python Scripts/serve_clients.py [--model Models/altclip-demo] [--binary .build/debug/altclip]

Opt-in (not run by `make test`). Starts the server on a free loopback port, then:
  * openai: client.embeddings.create with encoding_format float and base64 (openai-python's default
    when numpy is installed), texts and an image as {"image": "<data URI>"};
  * LangChain: OpenAIEmbeddings(check_embedding_ctx_length=False).embed_documents / embed_query, and
    the default (check_embedding_ctx_length=True, which sends token ids) must fail with our 400 message;
  * LlamaIndex: TextEmbeddingsInference(base_url=..., model_name=...).get_text_embedding_batch;
and compares every vector with `altclip embed` on the same inputs (max abs difference <= 1e-6).
Prints one line per check and exits non-zero on the first mismatch.
"""
import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXTS = ["a red circle", "绿色的正方形", "un triangle bleu", "ein violetter Kreis", "赤い星"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_embeddings(binary, model, texts=(), images=()):
    args = [binary, "embed", "--model", model] + [a for t in texts for a in ("--text", t)] + list(images)
    out = subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return [json.loads(line)["embedding"] for line in out.splitlines() if line.strip()]


def max_diff(a, b):
    assert len(a) == len(b), (len(a), len(b))
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


def check(name, got, want, tol=1e-6):
    d = max_diff([list(map(float, r)) for r in got], want)
    print(f"{name}: {len(got)} vectors, max |server - cli| = {d:.2e}")
    if d > tol:
        sys.exit(f"{name}: difference {d} exceeds {tol}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="Models/altclip-demo")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/debug/altclip"))
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen([args.binary, "serve", "--model", args.model, "--port", str(port), "--json"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if urllib.request.urlopen(base + "/health").status == 200:
                    break
            except Exception:
                time.sleep(0.1)
        want_texts = cli_embeddings(args.binary, args.model, texts=TEXTS)
        image = os.path.join(ROOT, "Samples/red_circle.png")
        want_image = cli_embeddings(args.binary, args.model, images=[image])
        with open(image, "rb") as f:
            uri = "data:image/png;base64," + base64.b64encode(f.read()).decode()

        import openai
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused")
        for fmt in ("float", "base64"):
            r = client.embeddings.create(model="altclip", input=TEXTS, encoding_format=fmt)
            got = [d.embedding for d in r.data]
            if fmt == "base64" and isinstance(got[0], str):
                import numpy as np
                got = [np.frombuffer(base64.b64decode(g), dtype="<f4").tolist() for g in got]
            check(f"openai embeddings.create ({fmt})", got, want_texts)
        default = client.embeddings.create(model="altclip", input=TEXTS)  # numpy present: base64 under the hood
        check("openai embeddings.create (default encoding)", [d.embedding for d in default.data], want_texts)
        r = client.embeddings.create(model="altclip", input=[{"image": uri}])  # type: ignore[list-item]
        check("openai embeddings.create (image)", [d.embedding for d in r.data], want_image)

        from langchain_openai import OpenAIEmbeddings
        lc = OpenAIEmbeddings(model="altclip", base_url=base + "/v1", api_key="unused", check_embedding_ctx_length=False)
        check("langchain OpenAIEmbeddings.embed_documents", lc.embed_documents(TEXTS), want_texts)
        check("langchain OpenAIEmbeddings.embed_query", [lc.embed_query(TEXTS[0])], want_texts[:1])
        try:
            OpenAIEmbeddings(model="text-embedding-3-small", base_url=base + "/v1", api_key="unused").embed_documents(TEXTS)
            sys.exit("langchain with token ids should have failed")
        except openai.BadRequestError as e:
            assert "check_embedding_ctx_length=False" in str(e), e
            print("langchain default (token ids): 400 naming check_embedding_ctx_length=False")
        except Exception as e:  # tiktoken downloads its encoding on first use; offline, send ids as LangChain would
            print(f"langchain default: tiktoken unavailable offline ({type(e).__name__}); sending token ids directly")
            try:
                client.embeddings.create(model="altclip", input=[[9906, 1917]])
                sys.exit("token ids should have been refused")
            except openai.BadRequestError as e2:
                assert "check_embedding_ctx_length=False" in str(e2), e2
                print("token ids: 400 naming check_embedding_ctx_length=False")

        from llama_index.embeddings.text_embeddings_inference import TextEmbeddingsInference
        li = TextEmbeddingsInference(base_url=base, model_name="altclip", timeout=60, embed_batch_size=8)
        check("llama-index TextEmbeddingsInference", li.get_text_embedding_batch(TEXTS), want_texts)
        print("all clients agree with the CLI")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
