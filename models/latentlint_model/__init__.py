"""Latent Lint model conversion: GGUF (SmolLM2) -> ONNX graph + tokenizer.json."""
