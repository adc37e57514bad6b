"""Build a Hugging Face tokenizers `tokenizer.json` (byte-level BPE) from GGUF tokenizer data."""
import json

# llama.cpp's `tokenizer.ggml.pre` names the pre-tokenizer. For "smollm" llama.cpp splits every
# digit on its own and then applies the GPT-2 regex; in tokenizers that is Digits(individual)
# followed by ByteLevel(use_regex) (the GPT-2 pattern).
PRE_TOKENIZERS = {
    "smollm": {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    ]},
    "gpt-2": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
}
CONTROL = 3  # llama.cpp token type: control/special token
USER_DEFINED = 4


def build_tokenizer_json(tok):
    if tok["pre"] not in PRE_TOKENIZERS:
        raise SystemExit(f"unknown tokenizer.ggml.pre {tok['pre']!r}: add its split rule to PRE_TOKENIZERS")
    added = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": tt == CONTROL}
        for i, (t, tt) in enumerate(zip(tok["tokens"], tok["token_type"])) if tt in (CONTROL, USER_DEFINED)
    ]
    vocab = {t: i for i, t in enumerate(tok["tokens"])}
    assert len(vocab) == len(tok["tokens"]), "duplicate token strings"
    for m in tok["merges"]:
        a, b = m.split(" ")  # byte-level symbols never contain a space (it is mapped to 'Ġ')
        assert a in vocab and b in vocab and a + b in vocab, m
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": PRE_TOKENIZERS[tok["pre"]],
        # add_bos_token is false in the GGUF, so no post-processor (no BOS/EOS inserted).
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab, "merges": list(tok["merges"]),
        },
    }


def build_tokenizer_config(tok, context_length):
    """tokenizer_config.json: what @huggingface/tokenizers' Tokenizer(json, config) reads."""
    name = lambda i: tok["tokens"][i]  # noqa: E731
    return {
        "add_prefix_space": False,
        "add_bos_token": tok["add_bos_token"],
        "bos_token": name(tok["bos_token_id"]),
        "eos_token": name(tok["eos_token_id"]),
        "pad_token": name(tok["pad_token_id"]),
        "unk_token": name(tok["unk_token_id"]),
        "chat_template": tok["chat_template"],
        "clean_up_tokenization_spaces": False,
        "model_max_length": context_length,
        "tokenizer_class": "GPT2Tokenizer",
    }


def dump(obj, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")
