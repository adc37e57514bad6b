"""int8 weight quantisation of the fp32 graph (onnxruntime quantize_dynamic; activations stay float
and are quantised per call).  The 4-bit variant needs no re-quantisation: it is built straight from
the GGUF's Q4_1 blocks (see gguf_source.read_q4_1 and onnx_graph.linear)."""
import tempfile
from pathlib import Path

import onnx

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
