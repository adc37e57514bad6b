"""Re-quantised variants of the fp32 graph, kept as measured alternatives (MODEL_CARD.md, "Quantisation
and speed"): none is the default, because on the target CPU (AVX2, no VNNI) none is both faster than
fp32 and within tolerance.  The 4-bit variant needs no re-quantisation: it is built straight from the
GGUF's Q4_1 blocks (see gguf_source.read_q4_1 and onnx_graph.linear).

- quantize_int8: onnxruntime quantize_dynamic (per-tensor uint8 activations, per-channel int8 weights).
- quantize_nbits: MatMulNBits with integer zero points and blocked int8 activations (accuracy_level 4).
"""
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

_HIDE = "latentlint.hidden"


def quantize_int8(src, dst):
    from onnxruntime.quantization import QuantType, quantize_dynamic
    model = onnx.load(str(src))
    # quantize_dynamic rewrites every Gemm as MatMul, transposing its weight in place; our lm_head
    # Gemm shares the embedding with the input Gather, so hide it under a private op type meanwhile
    # (the tied logits stay exact fp32).
    hidden = [n for n in model.graph.node if n.op_type == "Gemm"]
    for n in hidden:
        n.op_type, n.domain = "HiddenGemm", _HIDE
    model.opset_import.append(onnx.helper.make_opsetid(_HIDE, 1))
    with tempfile.TemporaryDirectory(dir=Path(dst).parent) as tmp:
        tmp_in, tmp_out = Path(tmp) / "in.onnx", Path(tmp) / "out.onnx"
        onnx.save_model(model, str(tmp_in))
        del model
        # Only MatMuls with a constant weight (the 7 projections per layer), per output channel.
        quantize_dynamic(tmp_in, tmp_out, op_types_to_quantize=["MatMul"], per_channel=True,
                         weight_type=QuantType.QInt8, extra_options={"MatMulConstBOnly": True})
        q = onnx.load(str(tmp_out))
    for n in q.graph.node:
        if n.domain == _HIDE:
            n.op_type, n.domain = "Gemm", ""
    keep = [o for o in q.opset_import if o.domain != _HIDE]
    del q.opset_import[:]
    q.opset_import.extend(keep)
    del q.graph.value_info[:]  # the quantizer's inferred shapes are stale; ORT re-infers
    onnx.save_model(q, str(dst))


def quantize_nbits(src, dst, bits=8, block_size=32, symmetric=False, accuracy_level=4):
    """Re-quantise every constant-weight MatMul of the fp32 graph to com.microsoft MatMulNBits with
    integer zero points (onnxruntime's own block quantiser).  accuracy_level=4 lets MLAS run the
    int8 kernels: activations are quantised per block of `block_size` along K, per row, so
    SmolLM2's outlier dimensions only coarsen their own block (unlike quantize_dynamic's per-tensor
    activation scale).  The tied lm_head Gemm stays fp32."""
    from onnxruntime.capi._pybind_state import quantize_matmul_4bits, quantize_matmul_8bits

    assert bits in (4, 8)
    kpack = 8 // bits
    model = onnx.load(str(src))
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    new_nodes = []
    for node in graph.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if w is None or len(w.dims) != 2:
            new_nodes.append(node)
            continue
        b = numpy_helper.to_array(w).astype(np.float32)  # (K, N)
        k, n = b.shape
        k_blocks = (k + block_size - 1) // block_size
        if k_blocks * block_size != k:
            b = np.pad(b, ((0, k_blocks * block_size - k), (0, 0)))
        b = np.ascontiguousarray(b)
        packed = np.zeros((n, k_blocks, block_size // kpack), dtype=np.uint8)
        zeros = np.zeros((n, (k_blocks + kpack - 1) // kpack), dtype=np.uint8)
        scales = np.zeros((n, k_blocks), dtype=np.float32)
        (quantize_matmul_8bits if bits == 8 else quantize_matmul_4bits)(
            packed, b, scales, zeros, block_size, n, k_blocks * block_size, symmetric)
        ins = [node.input[0],
               _add(graph, f"{w.name}.q{bits}", packed),
               _add(graph, f"{w.name}.scales", scales.reshape(-1))]
        if not symmetric:
            ins.append(_add(graph, f"{w.name}.zp", zeros.reshape(-1)))
        attrs = {"K": k, "N": n, "bits": bits, "block_size": block_size}
        if accuracy_level:
            attrs["accuracy_level"] = accuracy_level
        new_nodes.append(onnx.helper.make_node("MatMulNBits", ins, list(node.output), name=node.name,
                                               domain="com.microsoft", **attrs))
    used = {i for nd in new_nodes for i in nd.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.node[:]
    graph.node.extend(new_nodes)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    onnx.save_model(model, str(dst))


def _add(graph, name, arr):
    graph.initializer.append(numpy_helper.from_array(arr, name))
    return name
