/// The OpenAPI 3.1 description of every route, served at `GET /openapi.json`. The route tests validate
/// each response they receive against the schema given here for its route and status.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "altclip serve",
    "version": "0.3.0",
    "description": "AltCLIP (multilingual CLIP) embeddings, zero-shot classification and similarity. OpenAI- and text-embeddings-inference-compatible routes plus native CLIP routes. Errors on /v1/embeddings, /embeddings and /v1/models use OpenAI's shape (invalid input: 400); the others use TEI's (invalid input: 422)."
  },
  "servers": [{"url": "http://127.0.0.1:8080"}],
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "schemas": {
      "OpenAIError": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["message", "type", "param", "code"],
          "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                         "param": {"type": ["string", "null"]}, "code": {"type": "null"}}}}
      },
      "SearchResponse": {
        "type": "object", "required": ["model", "query", "results"],
        "properties": {"model": {"type": "string"}, "query": {"type": "object"},
          "results": {"type": "array", "items": {"type": "object", "required": ["id", "path", "name", "score", "thumbnail"],
            "properties": {"id": {"type": "string"}, "path": {"type": "string"}, "name": {"type": "string"},
              "score": {"type": "number"}, "width": {"type": "integer"}, "height": {"type": "integer"},
              "thumbnail": {"type": "string"}}}}}
      },
      "TEIError": {
        "type": "object", "required": ["error", "error_type"],
        "properties": {"error": {"type": "string"},
          "error_type": {"type": "string", "enum": ["validation", "unauthorized", "not_found", "payload_too_large", "overloaded", "unhealthy", "backend"]}}
      },
      "EmbeddingRequest": {
        "type": "object", "required": ["input"],
        "properties": {
          "input": {"oneOf": [
            {"type": "string"},
            {"type": "array", "minItems": 1, "items": {"oneOf": [
              {"type": "string"},
              {"type": "object", "required": ["image"], "properties": {"image": {"type": "string", "description": "base64 or a data URI"}}},
              {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}]}}]},
          "model": {"type": "string"},
          "encoding_format": {"type": "string", "enum": ["float", "base64"], "default": "float"},
          "dimensions": {"type": "integer"},
          "modality": {"type": "string", "enum": ["text", "image"], "default": "text"},
          "user": {"type": "string"}
        }
      },
      "EmbeddingList": {
        "type": "object", "required": ["object", "data", "model", "usage"],
        "properties": {
          "object": {"const": "list"},
          "data": {"type": "array", "items": {"type": "object", "required": ["object", "index", "embedding"],
            "properties": {"object": {"const": "embedding"}, "index": {"type": "integer"},
              "embedding": {"oneOf": [{"type": "array", "items": {"type": "number"}}, {"type": "string"}]}}}},
          "model": {"type": "string"},
          "usage": {"type": "object", "required": ["prompt_tokens", "total_tokens"],
            "properties": {"prompt_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}}
        }
      },
      "ModelList": {
        "type": "object", "required": ["object", "data"],
        "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": {"type": "object",
          "required": ["id", "object", "created", "owned_by"],
          "properties": {"id": {"type": "string"}, "object": {"const": "model"}, "created": {"type": "integer"}, "owned_by": {"type": "string"}}}}}
      },
      "Inputs": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
      "EmbedRequest": {
        "type": "object", "required": ["inputs"],
        "properties": {"inputs": {"$ref": "#/components/schemas/Inputs"}, "normalize": {"type": "boolean", "default": true},
          "truncate": {"type": "boolean", "default": false}, "truncation_direction": {"type": "string", "enum": ["Right", "right"]},
          "dimensions": {"type": "integer"}}
      },
      "Matrix": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
      "TokenizeRequest": {
        "type": "object", "required": ["inputs"],
        "properties": {"inputs": {"$ref": "#/components/schemas/Inputs"}, "add_special_tokens": {"type": "boolean", "default": true}}
      },
      "TokenizeResponse": {"type": "array", "items": {"type": "array", "items": {"type": "object",
        "required": ["id", "text", "special", "start", "stop"],
        "properties": {"id": {"type": "integer"}, "text": {"type": "string"}, "special": {"type": "boolean"},
          "start": {"type": ["integer", "null"]}, "stop": {"type": ["integer", "null"]}}}}},
      "DecodeRequest": {
        "type": "object", "required": ["ids"],
        "properties": {"ids": {"oneOf": [{"type": "array", "items": {"type": "integer"}},
          {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}]},
          "skip_special_tokens": {"type": "boolean", "default": true}}
      },
      "DecodeResponse": {"type": "array", "items": {"type": "string"}},
      "Info": {
        "type": "object",
        "required": ["model_id", "model_sha", "model_dtype", "model_type", "modalities", "embedding_dimension", "max_concurrent_requests",
          "max_input_length", "max_batch_tokens", "max_batch_images", "max_batch_requests", "max_client_batch_size", "tokenization_workers", "version"],
        "properties": {
          "model_id": {"type": "string"}, "model_sha": {"type": ["string", "null"]}, "model_dtype": {"type": "string"},
          "model_type": {"type": "object"}, "modalities": {"type": "array", "items": {"type": "string"}},
          "embedding_dimension": {"type": ["integer", "null"]}, "max_concurrent_requests": {"type": "integer"},
          "max_input_length": {"type": ["integer", "null"]}, "max_batch_tokens": {"type": "integer"}, "max_batch_images": {"type": "integer"},
          "max_batch_requests": {"type": ["integer", "null"]}, "max_client_batch_size": {"type": "integer"},
          "tokenization_workers": {"type": "integer"}, "version": {"type": "string"}
        }
      },
      "ClassifyRequest": {
        "type": "object", "required": ["images", "labels"],
        "properties": {"images": {"$ref": "#/components/schemas/Inputs"}, "labels": {"$ref": "#/components/schemas/Inputs"},
          "template": {"type": "string", "description": "holds {} where the label goes"}, "top_k": {"type": "integer", "minimum": 1}}
      },
      "ClassifyResponse": {
        "type": "object", "required": ["model", "results"],
        "properties": {"model": {"type": "string"}, "results": {"type": "array", "items": {"type": "object", "required": ["labels"],
          "properties": {"labels": {"type": "array", "items": {"type": "object", "required": ["label", "probability", "cosine", "logit"],
            "properties": {"label": {"type": "string"}, "probability": {"type": "number"}, "cosine": {"type": "number"}, "logit": {"type": "number"}}}}}}}}
      },
      "SimilarityRequest": {
        "type": "object", "required": ["texts", "images"],
        "properties": {"texts": {"$ref": "#/components/schemas/Inputs"}, "images": {"$ref": "#/components/schemas/Inputs"}}
      },
      "SimilarityResponse": {
        "type": "object", "required": ["model", "cosine", "logits_per_image", "logits_per_text", "probabilities"],
        "properties": {"model": {"type": "string"}, "cosine": {"$ref": "#/components/schemas/Matrix"},
          "logits_per_image": {"$ref": "#/components/schemas/Matrix"}, "logits_per_text": {"$ref": "#/components/schemas/Matrix"},
          "probabilities": {"$ref": "#/components/schemas/Matrix"}}
      }
    },
    "responses": {
      "OpenAIError": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OpenAIError"}}}},
      "TEIError": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TEIError"}}}}
    }
  },
  "security": [{"bearer": []}],
  "paths": {
    "/v1/embeddings": {"post": {"summary": "OpenAI-compatible embeddings of texts and images",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingRequest"}}}},
      "responses": {"200": {"description": "embeddings", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingList"}}}},
        "400": {"$ref": "#/components/responses/OpenAIError"}, "401": {"$ref": "#/components/responses/OpenAIError"},
        "413": {"$ref": "#/components/responses/OpenAIError"}, "429": {"$ref": "#/components/responses/OpenAIError"},
        "503": {"$ref": "#/components/responses/OpenAIError"}}}},
    "/embeddings": {"post": {"summary": "Same as /v1/embeddings",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingRequest"}}}},
      "responses": {"200": {"description": "embeddings", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingList"}}}},
        "400": {"$ref": "#/components/responses/OpenAIError"}, "401": {"$ref": "#/components/responses/OpenAIError"},
        "413": {"$ref": "#/components/responses/OpenAIError"}, "429": {"$ref": "#/components/responses/OpenAIError"},
        "503": {"$ref": "#/components/responses/OpenAIError"}}}},
    "/v1/models": {"get": {"summary": "The served model",
      "responses": {"200": {"description": "models", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}},
        "401": {"$ref": "#/components/responses/OpenAIError"}}}},
    "/embed": {"post": {"summary": "TEI-compatible text embeddings",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbedRequest"}}}},
      "responses": {"200": {"description": "one embedding per input", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Matrix"}}}},
        "401": {"$ref": "#/components/responses/TEIError"}, "413": {"$ref": "#/components/responses/TEIError"},
        "422": {"$ref": "#/components/responses/TEIError"}, "429": {"$ref": "#/components/responses/TEIError"},
        "503": {"$ref": "#/components/responses/TEIError"}}}},
    "/tokenize": {"post": {"summary": "Tokens of texts (XLM-R SentencePiece)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenizeRequest"}}}},
      "responses": {"200": {"description": "tokens", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenizeResponse"}}}},
        "401": {"$ref": "#/components/responses/TEIError"}, "413": {"$ref": "#/components/responses/TEIError"},
        "422": {"$ref": "#/components/responses/TEIError"}, "503": {"$ref": "#/components/responses/TEIError"}}}},
    "/decode": {"post": {"summary": "Text of token ids",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DecodeRequest"}}}},
      "responses": {"200": {"description": "texts", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DecodeResponse"}}}},
        "401": {"$ref": "#/components/responses/TEIError"}, "413": {"$ref": "#/components/responses/TEIError"},
        "422": {"$ref": "#/components/responses/TEIError"}, "503": {"$ref": "#/components/responses/TEIError"}}}},
    "/info": {"get": {"summary": "Model and limits",
      "responses": {"200": {"description": "info", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Info"}}}},
        "401": {"$ref": "#/components/responses/TEIError"}}}},
    "/health": {"get": {"summary": "200 once the model is loaded and warmed up", "security": [],
      "responses": {"200": {"description": "ready"}, "503": {"$ref": "#/components/responses/TEIError"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics",
      "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}},
        "401": {"$ref": "#/components/responses/TEIError"}}}},
    "/v1/classify": {"post": {"summary": "Zero-shot classification of images against labels",
      "requestBody": {"required": true, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/ClassifyRequest"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
          "image": {"type": "array", "items": {"type": "string", "format": "binary"}},
          "label": {"type": "array", "items": {"type": "string"}}, "labels": {"type": "string"},
          "template": {"type": "string"}, "top_k": {"type": "integer"}}}}}},
      "responses": {"200": {"description": "labels per image, most probable first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClassifyResponse"}}}},
        "401": {"$ref": "#/components/responses/TEIError"}, "413": {"$ref": "#/components/responses/TEIError"},
        "422": {"$ref": "#/components/responses/TEIError"}, "429": {"$ref": "#/components/responses/TEIError"},
        "503": {"$ref": "#/components/responses/TEIError"}}}},
    "/v1/similarity": {"post": {"summary": "Cosine similarity and logits of images x texts",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SimilarityRequest"}}}},
      "responses": {"200": {"description": "rows are images, columns texts", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SimilarityResponse"}}}},
        "401": {"$ref": "#/components/responses/TEIError"}, "413": {"$ref": "#/components/responses/TEIError"},
        "422": {"$ref": "#/components/responses/TEIError"}, "429": {"$ref": "#/components/responses/TEIError"},
        "503": {"$ref": "#/components/responses/TEIError"}}}},
    "/v1/search": {
      "get": {"summary": "Search the indexed images (--db) by text, in any language",
        "parameters": [{"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
                       {"name": "k", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                       {"name": "threshold", "in": "query", "schema": {"type": "number"}}],
        "responses": {"200": {"description": "best first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResponse"}}}},
          "401": {"$ref": "#/components/responses/TEIError"}, "404": {"$ref": "#/components/responses/TEIError"},
          "422": {"$ref": "#/components/responses/TEIError"}, "429": {"$ref": "#/components/responses/TEIError"},
          "503": {"$ref": "#/components/responses/TEIError"}}},
      "post": {"summary": "Search the indexed images by text, by an image, or like an indexed image",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
          "properties": {"text": {"type": "string"}, "image": {"type": "string", "description": "data URI or base64"},
            "like": {"type": "string", "description": "id of an indexed image"},
            "k": {"type": "integer", "minimum": 1, "maximum": 1000}, "threshold": {"type": "number"}}}}}},
        "responses": {"200": {"description": "best first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResponse"}}}},
          "401": {"$ref": "#/components/responses/TEIError"}, "404": {"$ref": "#/components/responses/TEIError"},
          "413": {"$ref": "#/components/responses/TEIError"}, "422": {"$ref": "#/components/responses/TEIError"},
          "429": {"$ref": "#/components/responses/TEIError"}, "503": {"$ref": "#/components/responses/TEIError"}}}},
    "/v1/images/{id}/thumbnail": {"get": {"summary": "An indexed image, at most 256 pixels a side (only indexed files, by id)",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "BMP image", "content": {"image/bmp": {"schema": {"type": "string", "format": "binary"}}}},
        "401": {"$ref": "#/components/responses/TEIError"}, "404": {"$ref": "#/components/responses/TEIError"}}}},
    "/": {"get": {"summary": "The search page (HTML)", "security": [],
      "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}}}},
    "/openapi.json": {"get": {"summary": "This document", "security": [],
      "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
  }
}
"""#
}
