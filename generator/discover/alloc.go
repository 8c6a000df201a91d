package discover

/*
#include <stdlib.h>
extern void ts_set_allocator(void *(*)(size_t), void *(*)(size_t, size_t), void *(*)(void *, size_t), void (*)(void *));
static void use_libc_allocator(void) { ts_set_allocator(malloc, calloc, realloc, free); }
*/
import "C"

// go-tree-sitter routes tree-sitter's every malloc and free through Go
// callbacks that only call the C library's functions; a cgo callback per
// allocation cost about a fifth of discovery's time. Give tree-sitter the
// C library's functions directly: the same heap, without the round trips.
func init() { C.use_libc_allocator() }
