/* The C target's one source file (SwiftPM builds a C target from its sources): the header this
 * package compiles against must be the ABI the Swift module was written for. */
#include "tacet/tacet.h"

_Static_assert(TACET_ABI_VERSION == 1, "bindings/swift is written for TACET_ABI_VERSION 1");
