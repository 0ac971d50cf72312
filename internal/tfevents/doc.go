// Package tfevents writes and reads TensorBoard event files: TFRecord framing around
// serialized tensorboard.Event protobuf messages, as TensorBoard's own EventFileWriter
// writes them (tensorboard/summary/writer/event_file_writer.py and record_writer.py).
//
// A record is
//
//	uint64 length (little endian) | uint32 masked CRC-32C of the length bytes |
//	data | uint32 masked CRC-32C of data
//
// with mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8 and CRC-32C the Castagnoli polynomial.
// The first record of a file is an Event with file_version "brain.Event:2"; every later record
// carries one Summary. Scalars use Summary.Value.simple_value (a float32, which TensorBoard's
// EventAccumulator, W&B and Aim read); text uses the text plugin's form (a string tensor with
// plugin_data.plugin_name "text").
//
// The field numbers (tensorboard/compat/proto/event.proto, summary.proto, tensor.proto) were
// checked against the descriptors of the tensorboard 2.21 Python package, and the tests compare
// bytes with what that package serializes. Pure Go: no cgo.
package tfevents
