"""Weight-only quantisation of the fp32 graph (activations stay float)."""
from pathlib import Path

import onnx


def quantize(src, dst, kind):
    src, dst = Path(src), Path(dst)
    if kind == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic
        # Only MatMuls with a constant weight (the projections).  The tied-embedding lm_head is a
        # Gemm and the Gather is excluded, so logits/embeddings stay exact fp32.
        quantize_dynamic(src, dst, op_types_to_quantize=["MatMul"], per_channel=True,
                         weight_type=QuantType.QInt8, extra_options={"MatMulConstBOnly": True})
    elif kind == "q4":
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
        model = onnx.load(str(src))
        # block 32 along K is Q4_1's own block layout; asymmetric like Q4_1.
        q = MatMulNBitsQuantizer(model, block_size=32, is_symmetric=False, accuracy_level=4)
        q.process()
        onnx.save_model(q.model.model, str(dst))
    else:
        raise ValueError(kind)
