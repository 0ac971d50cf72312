package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file holds the protobuf encoders for the ONNX messages the Builder emits. Field numbers
// follow onnx.proto (IR version 8). onnx.proto is a proto2 file in which repeated scalars such as
// dims and ints are not declared packed, so they are written one field per element; every
// protobuf parser accepts that form.

// ONNX enum values used by the encoders.
const (
	irVersion    = 8  // ModelProto.ir_version: IR_VERSION_2021_7_30
	opsetVersion = 17 // default-domain ("ai.onnx") operator set
	tensorFloat  = 1  // TensorProto.DataType FLOAT

	attrFloat = 1 // AttributeProto.AttributeType FLOAT
	attrInt   = 2 // INT
	attrInts  = 7 // INTS
)

// ModelProto fields.
const (
	modelIRVersion     = 1
	modelProducerName  = 2
	modelGraph         = 7
	modelOpsetImport   = 8
	modelMetadataProps = 14
)

// GraphProto, NodeProto, AttributeProto, TensorProto and ValueInfoProto (and its nested type)
// fields.
const (
	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attrName  = 1
	attrF     = 2
	attrI     = 3
	attrIntsF = 8
	attrType  = 20

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9

	valueName = 1
	valueType = 2

	typeTensor    = 1 // TypeProto.tensor_type
	typeElemType  = 1 // TypeProto.Tensor.elem_type
	typeShape     = 2 // TypeProto.Tensor.shape
	shapeDim      = 1 // TensorShapeProto.dim
	dimValue      = 1 // TensorShapeProto.Dimension.dim_value
	dimParam      = 2 // TensorShapeProto.Dimension.dim_param
	opsetDomain   = 1 // OperatorSetIdProto.domain
	opsetVersionF = 2 // OperatorSetIdProto.version
	entryKey      = 1 // StringStringEntryProto.key
	entryValue    = 2 // StringStringEntryProto.value
)

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendFloatField(b []byte, num protowire.Number, f float32) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, math.Float32bits(f))
}

// appendInt64Field writes an int64 as protobuf does: negative values as 10-byte two's complement
// varints.
func appendInt64Field(b []byte, num protowire.Number, v int64) []byte {
	return appendVarintField(b, num, uint64(v))
}

func encodeAttribute(a attribute) []byte {
	var b []byte
	b = appendStringField(b, attrName, a.name)
	switch a.typ {
	case attrFloat:
		b = appendFloatField(b, attrF, a.f)
	case attrInt:
		b = appendInt64Field(b, attrI, a.i)
	case attrInts:
		for _, v := range a.ints {
			b = appendInt64Field(b, attrIntsF, v)
		}
	}
	return appendVarintField(b, attrType, uint64(a.typ))
}

func encodeNode(n *node) []byte {
	var b []byte
	for _, in := range n.inputs {
		b = appendStringField(b, nodeInput, in)
	}
	for _, out := range n.outputs {
		b = appendStringField(b, nodeOutput, out)
	}
	b = appendStringField(b, nodeName, n.name)
	b = appendStringField(b, nodeOpType, n.op)
	for _, a := range n.attrs {
		b = appendBytesField(b, nodeAttribute, encodeAttribute(a))
	}
	return b
}

// tensorHeader encodes the TensorProto fields before raw_data; the raw bytes are appended
// directly into the model buffer so that large weights are copied only once.
func tensorHeader(t *initializer) []byte {
	var b []byte
	for _, d := range t.dims {
		b = appendInt64Field(b, tensorDims, d)
	}
	b = appendVarintField(b, tensorDataType, tensorFloat)
	b = appendStringField(b, tensorName, t.name)
	return protowire.AppendTag(b, tensorRawData, protowire.BytesType)
}

// tensorSize is the encoded size of a TensorProto with the given header.
func tensorSize(header []byte, raw []byte) int {
	return len(header) + protowire.SizeBytes(len(raw))
}

// encodeValueInfo writes a float tensor ValueInfoProto. Negative dims become the symbolic
// dimension "N"; nil dims leave the shape (and so the rank) unspecified.
func encodeValueInfo(v valueInfo) []byte {
	var tensor []byte
	tensor = appendVarintField(tensor, typeElemType, tensorFloat)
	if v.dims != nil {
		var shape []byte
		for _, d := range v.dims {
			var dim []byte
			if d < 0 {
				dim = appendStringField(dim, dimParam, symbolicDim)
			} else {
				dim = appendInt64Field(dim, dimValue, d)
			}
			shape = appendBytesField(shape, shapeDim, dim)
		}
		tensor = appendBytesField(tensor, typeShape, shape)
	}
	var b []byte
	b = appendStringField(b, valueName, v.name)
	return appendBytesField(b, valueType, appendBytesField(nil, typeTensor, tensor))
}

// appendMessage appends a length-delimited field whose body has size bytes and is written by body.
func appendMessage(b []byte, num protowire.Number, size int, body func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	return body(b)
}

// encodeModel encodes the ModelProto in one exactly sized buffer: the small messages (nodes,
// value infos, tensor headers) are encoded first, so that the graph's length is known before the
// weights are copied in.
func encodeModel(g *Builder, producer string) []byte {
	var head, tail []byte // graph fields before and after the initializers
	for i := range g.nodes {
		head = appendBytesField(head, graphNode, encodeNode(&g.nodes[i]))
	}
	head = appendStringField(head, graphName, g.name)
	for _, v := range g.inputs {
		tail = appendBytesField(tail, graphInput, encodeValueInfo(v))
	}
	for _, v := range g.outputs {
		tail = appendBytesField(tail, graphOutput, encodeValueInfo(v))
	}
	headers := make([][]byte, len(g.inits))
	graphSize := len(head) + len(tail)
	for i := range g.inits {
		headers[i] = tensorHeader(&g.inits[i])
		graphSize += protowire.SizeTag(graphInitializer) + protowire.SizeBytes(tensorSize(headers[i], g.inits[i].raw))
	}

	var rest []byte // model fields after the graph
	var opset []byte
	opset = appendStringField(opset, opsetDomain, "")
	opset = appendVarintField(opset, opsetVersionF, opsetVersion)
	rest = appendBytesField(rest, modelOpsetImport, opset)
	for _, kv := range g.meta {
		var e []byte
		e = appendStringField(e, entryKey, kv[0])
		e = appendStringField(e, entryValue, kv[1])
		rest = appendBytesField(rest, modelMetadataProps, e)
	}

	var b []byte
	b = appendVarintField(b, modelIRVersion, irVersion)
	b = appendStringField(b, modelProducerName, producer)
	total := len(b) + protowire.SizeTag(modelGraph) + protowire.SizeBytes(graphSize) + len(rest)
	out := make([]byte, 0, total)
	out = append(out, b...)
	out = appendMessage(out, modelGraph, graphSize, func(b []byte) []byte {
		b = append(b, head...)
		for i := range g.inits {
			t := &g.inits[i]
			b = appendMessage(b, graphInitializer, tensorSize(headers[i], t.raw), func(b []byte) []byte {
				b = append(b, headers[i]...)
				b = protowire.AppendVarint(b, uint64(len(t.raw)))
				return append(b, t.raw...)
			})
		}
		return append(b, tail...)
	})
	out = append(out, rest...)
	if len(out) != total {
		panic("onnx: internal error: model size computed wrongly")
	}
	return out
}

// float32LE returns the little-endian bytes of data, the layout TensorProto.raw_data requires.
func float32LE(data []float32) []byte {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return raw
}
