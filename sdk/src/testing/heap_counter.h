// Counts the C++ heap (operator new/delete): allocations made, bytes live and their peak. For the
// tests that prove a path allocates nothing (consent decisions, gate frames) and for the export's
// bounded-heap test and benchmark. Only executables that link the tacet_heap_counter object
// library (heap_counter_new.cc, which replaces the global operator new and delete) count anything;
// it is never part of the library. SQLite allocates with malloc and is not counted.
#ifndef TACET_TESTING_HEAP_COUNTER_H_
#define TACET_TESTING_HEAP_COUNTER_H_

#include <cstddef>

namespace tacet::testing::heap_counter {

// Bytes currently allocated through operator new, and the most since ResetPeak(). Thread-safe.
size_t Current();
size_t Peak();
// Makes the peak equal to Current().
void ResetPeak();
// Calls to operator new (any form) since the process started.
size_t Allocations();

}  // namespace tacet::testing::heap_counter

#endif  // TACET_TESTING_HEAP_COUNTER_H_
