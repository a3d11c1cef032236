package rpc

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrorCode is a structuredError code: one of the reference's
// RpcErrorCodes (chia/rpc/rpc_errors.py). Only the codes chianet's routes
// produce are named here; a client may receive any other.
type ErrorCode string

// The structuredError codes chianet's routes use.
const (
	// CodeUnknown is the reference's code for an exception it has no
	// better code for; chianet uses it for bad parameters and for the
	// routes it does not serve (see Error.Data).
	CodeUnknown ErrorCode = "UNKNOWN"
	// CodeInternalError is the reference's code for a failed assertion;
	// chianet uses it for a route handler that panicked.
	CodeInternalError ErrorCode = "INTERNAL_ERROR"
	// CodeBlockNotFound: get_block found no block with the header hash.
	CodeBlockNotFound ErrorCode = "BLOCK_NOT_FOUND"
	// CodeBlockHeightNotFound: get_block_record_by_height was asked for a
	// height above the peak.
	CodeBlockHeightNotFound ErrorCode = "BLOCK_HEIGHT_NOT_FOUND"
	// CodeBlockDoesNotExist: the block at a height could not be had.
	CodeBlockDoesNotExist ErrorCode = "BLOCK_DOES_NOT_EXIST"
	// CodeNoHeaderHashInRequest: get_block without header_hash.
	CodeNoHeaderHashInRequest ErrorCode = "NO_HEADER_HASH_IN_REQUEST"
	// CodeNoHeightInRequest: get_block_record_by_height without height.
	CodeNoHeightInRequest ErrorCode = "NO_HEIGHT_IN_REQUEST"
	// CodeNoStartInRequest: get_blocks without start.
	CodeNoStartInRequest ErrorCode = "NO_START_IN_REQUEST"
	// CodeNoEndInRequest: get_blocks without end.
	CodeNoEndInRequest ErrorCode = "NO_END_IN_REQUEST"
)

// Error is a failed RPC call as the reference's envelope states it:
// Message is the response's "error", and Code, StructuredMessage and Data
// are its "structuredError". Route handlers return an *Error to choose
// these; any other error becomes CodeUnknown with its text as both
// messages. Clients return an *Error for every response whose "success"
// is false, and for answers with an HTTP status other than 200.
type Error struct {
	// Code is structuredError.code; empty for a response without a
	// structuredError (e.g. open_connection's "could not connect").
	Code ErrorCode
	// Message is the response's "error".
	Message string
	// StructuredMessage is structuredError.message. The reference leaves
	// it empty for some errors and shortens it for others (e.g. "Block
	// not found" where Message names the block).
	StructuredMessage string
	// Data is structuredError.data; nil is written as {}.
	Data map[string]any
	// Status is the HTTP status of the answer. A server leaves it 0 for
	// errors of a route (answered with 200, as the reference does) and
	// sets it for requests that never reached one (404, 405, 413, 400).
	Status int
}

// Error returns the message, prefixed with the HTTP status when it is
// not 200.
func (e *Error) Error() string {
	if e.Status != 0 && e.Status != http.StatusOK {
		return fmt.Sprintf("rpc: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	}
	return "rpc: " + e.Message
}

// newError returns an *Error whose structured message is its message,
// as the reference's RpcError.simple.
func newError(code ErrorCode, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: code, Message: msg, StructuredMessage: msg}
}

// BlockNotFound is the reference's get_block error for a header hash it
// does not know: "Block <hex> not found".
func BlockNotFound(headerHash [32]byte, why string) *Error {
	h := fmt.Sprintf("%x", headerHash[:])
	msg := "Block " + h + " not found"
	if why != "" {
		msg += ": " + why
	}
	return &Error{Code: CodeBlockNotFound, Message: msg, StructuredMessage: "Block not found",
		Data: map[string]any{"header_hash": h}}
}

// HeightNotFound is the reference's get_block_record_by_height error for a
// height above the peak: "Block height <h> not found in chain". The
// reference's Python client matches this exact text to return None.
func HeightNotFound(height uint32) *Error {
	return &Error{Code: CodeBlockHeightNotFound, Message: fmt.Sprintf("Block height %d not found in chain", height),
		StructuredMessage: "Block height not found in chain", Data: map[string]any{"height": height}}
}

// BlockDoesNotExist is the reference's error for a height whose block
// could not be had, extended with why.
func BlockDoesNotExist(height uint32, why string) *Error {
	msg := fmt.Sprintf("Block at height %d does not exist", height)
	if why != "" {
		msg += ": " + why
	}
	return &Error{Code: CodeBlockDoesNotExist, Message: msg, StructuredMessage: "Block does not exist",
		Data: map[string]any{"height": height}}
}

// ErrNoChain is the cause of every error of a route chianet does not
// serve because it keeps no blockchain, coin store or mempool; see
// NotServed.
var ErrNoChain = errors.New("chianet keeps no blockchain, coin store or mempool")

// asError turns any handler error into the envelope's fields.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	msg := err.Error()
	return &Error{Code: CodeUnknown, Message: msg, StructuredMessage: msg}
}

// envelope is the reference's error response: success false, error and
// structuredError. The reference also sends a Python traceback over HTTP;
// chianet has none to send.
func (e *Error) envelope() map[string]any {
	m := map[string]any{"success": false, "error": e.Message}
	if e.Code != "" {
		data := e.Data
		if data == nil {
			data = map[string]any{}
		}
		m["structuredError"] = map[string]any{"code": string(e.Code), "message": e.StructuredMessage, "data": data}
	}
	return m
}
