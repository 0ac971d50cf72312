package tfevents

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the messages used here (tensorboard/compat/proto).
const (
	eventWallTime    protowire.Number = 1 // double
	eventStep        protowire.Number = 2 // int64
	eventFileVersion protowire.Number = 3 // string
	eventSummary     protowire.Number = 5 // Summary

	summaryValue protowire.Number = 1 // repeated Summary.Value

	valueTag      protowire.Number = 1 // string
	valueSimple   protowire.Number = 2 // float, in oneof "value": written even when 0
	valueTensor   protowire.Number = 8 // TensorProto
	valueMetadata protowire.Number = 9 // SummaryMetadata

	metaPluginData protowire.Number = 1 // SummaryMetadata.PluginData
	pluginName     protowire.Number = 1 // string
	pluginContent  protowire.Number = 2 // bytes (TextPluginData{version 0} serializes to nothing)

	tensorDtype     protowire.Number = 1 // DataType enum
	tensorShape     protowire.Number = 2 // TensorShapeProto (empty: a scalar)
	tensorStringVal protowire.Number = 8 // repeated bytes
	dtString                         = 7 // DT_STRING

	textPlugin = "text"
)

// Value is one Summary.Value of an event: a scalar, a text or something else, by Kind.
type Value struct {
	Tag    string
	Kind   Kind
	Scalar float32 // Kind Scalar: simple_value
	Text   string  // Kind Text: the string tensor's first element
}

// Kind says what a Value holds.
type Kind int

const (
	Other  Kind = iota // a value kind this package does not decode
	Scalar             // simple_value
	Text               // text plugin: a DT_STRING tensor
)

// Event is one decoded record: the file version header or a summary of values at a step.
type Event struct {
	WallTime    float64 // seconds since the Unix epoch
	Step        int64
	FileVersion string // "brain.Event:2" in the first record, "" after
	Values      []Value
}

// encodeEvent serializes an Event as the proto3 encoder of TensorBoard's Python package does
// (fields in number order, zero scalars left out).
func encodeEvent(wall float64, step int64, fileVersion string, summary []byte) []byte {
	var b []byte
	if wall != 0 {
		b = protowire.AppendTag(b, eventWallTime, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(wall))
	}
	if step != 0 {
		b = protowire.AppendTag(b, eventStep, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(step))
	}
	if fileVersion != "" {
		b = protowire.AppendTag(b, eventFileVersion, protowire.BytesType)
		b = protowire.AppendString(b, fileVersion)
	}
	if summary != nil {
		b = appendBytes(b, eventSummary, summary)
	}
	return b
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// scalarSummary is a Summary with one simple_value.
func scalarSummary(tag string, v float32) []byte {
	var val []byte
	val = appendBytes(val, valueTag, []byte(tag))
	val = protowire.AppendTag(val, valueSimple, protowire.Fixed32Type)
	val = protowire.AppendFixed32(val, math.Float32bits(v))
	return appendBytes(nil, summaryValue, val)
}

// textSummary is a Summary with one text-plugin value: what tensorboard.plugins.text's
// text_pb writes (a scalar DT_STRING tensor and plugin_data{plugin_name: "text"}).
func textSummary(tag, text string) []byte {
	var tensor []byte
	tensor = protowire.AppendTag(tensor, tensorDtype, protowire.VarintType)
	tensor = protowire.AppendVarint(tensor, dtString)
	tensor = appendBytes(tensor, tensorShape, nil)
	tensor = appendBytes(tensor, tensorStringVal, []byte(text))
	plugin := appendBytes(nil, pluginName, []byte(textPlugin))
	meta := appendBytes(nil, metaPluginData, plugin)
	var val []byte
	val = appendBytes(val, valueTag, []byte(tag))
	val = appendBytes(val, valueTensor, tensor)
	val = appendBytes(val, valueMetadata, meta)
	return appendBytes(nil, summaryValue, val)
}

// fields calls fn for every field of message b; fn gets the wire value (varints and fixed
// integers in u, length-delimited contents in v).
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, u uint64, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var u uint64
		var v []byte
		switch typ {
		case protowire.VarintType:
			u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			u = uint64(x)
		case protowire.Fixed64Type:
			u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, u, v); err != nil {
			return err
		}
	}
	return nil
}

// decodeEvent parses a serialized Event, keeping what Event holds.
func decodeEvent(b []byte) (Event, error) {
	var e Event
	err := fields(b, func(num protowire.Number, typ protowire.Type, u uint64, v []byte) error {
		switch {
		case num == eventWallTime && typ == protowire.Fixed64Type:
			e.WallTime = math.Float64frombits(u)
		case num == eventStep && typ == protowire.VarintType:
			e.Step = int64(u)
		case num == eventFileVersion && typ == protowire.BytesType:
			e.FileVersion = string(v)
		case num == eventSummary && typ == protowire.BytesType:
			return fields(v, func(num protowire.Number, typ protowire.Type, _ uint64, v []byte) error {
				if num != summaryValue || typ != protowire.BytesType {
					return nil
				}
				val, err := decodeValue(v)
				e.Values = append(e.Values, val)
				return err
			})
		}
		return nil
	})
	return e, err
}

func decodeValue(b []byte) (Value, error) {
	var val Value
	var tensor []string
	text := false
	err := fields(b, func(num protowire.Number, typ protowire.Type, u uint64, v []byte) error {
		switch {
		case num == valueTag && typ == protowire.BytesType:
			val.Tag = string(v)
		case num == valueSimple && typ == protowire.Fixed32Type:
			val.Kind, val.Scalar = Scalar, math.Float32frombits(uint32(u))
		case num == valueTensor && typ == protowire.BytesType:
			return fields(v, func(num protowire.Number, typ protowire.Type, _ uint64, v []byte) error {
				if num == tensorStringVal && typ == protowire.BytesType {
					tensor = append(tensor, string(v))
				}
				return nil
			})
		case num == valueMetadata && typ == protowire.BytesType:
			return fields(v, func(num protowire.Number, typ protowire.Type, _ uint64, v []byte) error {
				if num != metaPluginData || typ != protowire.BytesType {
					return nil
				}
				return fields(v, func(num protowire.Number, typ protowire.Type, _ uint64, v []byte) error {
					if num == pluginName && typ == protowire.BytesType && string(v) == textPlugin {
						text = true
					}
					return nil
				})
			})
		}
		return nil
	})
	if text && val.Kind == Other && len(tensor) > 0 {
		val.Kind, val.Text = Text, tensor[0]
	}
	return val, err
}
