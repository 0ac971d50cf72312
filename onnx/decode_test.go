package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// A minimal ModelProto decoder for the tests. It uses literal field numbers from onnx.proto rather
// than the encoder's constants, so that a wrong constant in wire.go cannot pass unnoticed.

type dModel struct {
	ir       int64
	producer string
	opsets   map[string]int64
	graph    dGraph
	meta     [][2]string
}

type dGraph struct {
	name            string
	nodes           []dNode
	inits           []dTensor
	inputs, outputs []dValue
}

type dNode struct {
	name, op string
	in, out  []string
	attrs    map[string]dAttr
}

type dAttr struct {
	typ  int64
	f    float32
	i    int64
	ints []int64
}

type dTensor struct {
	name  string
	dims  []int64
	dtype int64
	data  []float32
}

type dValue struct {
	name     string
	elem     int64
	hasShape bool
	dims     []string // dim_value in decimal, or dim_param
}

// walk calls fn for each field of a message.
func walk(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, bytes []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v uint64
		var bs []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			v = uint64(u)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(b)
		default:
			return fmt.Errorf("unexpected wire type %d", typ)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, bs); err != nil {
			return err
		}
	}
	return nil
}

func decodeModel(b []byte) (dModel, error) {
	m := dModel{opsets: map[string]int64{}}
	err := walk(b, func(num protowire.Number, _ protowire.Type, v uint64, bs []byte) error {
		switch num {
		case 1:
			m.ir = int64(v)
		case 2:
			m.producer = string(bs)
		case 7:
			g, err := decodeGraph(bs)
			m.graph = g
			return err
		case 8:
			var dom string
			var ver int64
			err := walk(bs, func(num protowire.Number, _ protowire.Type, v uint64, bs []byte) error {
				if num == 1 {
					dom = string(bs)
				} else if num == 2 {
					ver = int64(v)
				}
				return nil
			})
			m.opsets[dom] = ver
			return err
		case 14:
			var kv [2]string
			err := walk(bs, func(num protowire.Number, _ protowire.Type, _ uint64, bs []byte) error {
				if num == 1 || num == 2 {
					kv[num-1] = string(bs)
				}
				return nil
			})
			m.meta = append(m.meta, kv)
			return err
		}
		return nil
	})
	return m, err
}

func decodeGraph(b []byte) (dGraph, error) {
	var g dGraph
	err := walk(b, func(num protowire.Number, _ protowire.Type, _ uint64, bs []byte) error {
		switch num {
		case 1:
			n, err := decodeNode(bs)
			g.nodes = append(g.nodes, n)
			return err
		case 2:
			g.name = string(bs)
		case 5:
			t, err := decodeTensor(bs)
			g.inits = append(g.inits, t)
			return err
		case 11, 12:
			v, err := decodeValue(bs)
			if num == 11 {
				g.inputs = append(g.inputs, v)
			} else {
				g.outputs = append(g.outputs, v)
			}
			return err
		}
		return nil
	})
	return g, err
}

func decodeNode(b []byte) (dNode, error) {
	n := dNode{attrs: map[string]dAttr{}}
	err := walk(b, func(num protowire.Number, _ protowire.Type, _ uint64, bs []byte) error {
		switch num {
		case 1:
			n.in = append(n.in, string(bs))
		case 2:
			n.out = append(n.out, string(bs))
		case 3:
			n.name = string(bs)
		case 4:
			n.op = string(bs)
		case 5:
			var name string
			var a dAttr
			err := walk(bs, func(num protowire.Number, _ protowire.Type, v uint64, bs []byte) error {
				switch num {
				case 1:
					name = string(bs)
				case 2:
					a.f = math.Float32frombits(uint32(v))
				case 3:
					a.i = int64(v)
				case 8:
					a.ints = append(a.ints, int64(v))
				case 20:
					a.typ = int64(v)
				}
				return nil
			})
			n.attrs[name] = a
			return err
		}
		return nil
	})
	return n, err
}

func decodeTensor(b []byte) (dTensor, error) {
	var t dTensor
	err := walk(b, func(num protowire.Number, _ protowire.Type, v uint64, bs []byte) error {
		switch num {
		case 1:
			t.dims = append(t.dims, int64(v))
		case 2:
			t.dtype = int64(v)
		case 8:
			t.name = string(bs)
		case 9:
			if len(bs)%4 != 0 {
				return fmt.Errorf("raw_data of %d bytes", len(bs))
			}
			t.data = make([]float32, len(bs)/4)
			for i := range t.data {
				t.data[i] = math.Float32frombits(binary.LittleEndian.Uint32(bs[4*i:]))
			}
		}
		return nil
	})
	return t, err
}

func decodeValue(b []byte) (dValue, error) {
	var v dValue
	err := walk(b, func(num protowire.Number, _ protowire.Type, _ uint64, bs []byte) error {
		switch num {
		case 1:
			v.name = string(bs)
		case 2: // TypeProto
			return walk(bs, func(num protowire.Number, _ protowire.Type, _ uint64, bs []byte) error {
				if num != 1 { // tensor_type
					return nil
				}
				return walk(bs, func(num protowire.Number, _ protowire.Type, x uint64, bs []byte) error {
					switch num {
					case 1:
						v.elem = int64(x)
					case 2: // TensorShapeProto
						v.hasShape = true
						return walk(bs, func(num protowire.Number, _ protowire.Type, _ uint64, bs []byte) error {
							if num != 1 {
								return nil
							}
							return walk(bs, func(num protowire.Number, _ protowire.Type, x uint64, bs []byte) error {
								switch num {
								case 1:
									v.dims = append(v.dims, fmt.Sprint(int64(x)))
								case 2:
									v.dims = append(v.dims, string(bs))
								}
								return nil
							})
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return v, err
}
