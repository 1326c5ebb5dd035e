// Counts the bytes live on the C++ heap (operator new/delete) and their peak, for the export's
// streaming test and benchmark. Only executables that link heap_counter_new.cc (which replaces
// the global operator new and delete) count anything; it is never part of the library.
// SQLite allocates with malloc and is not counted: its page cache is bounded by cache_size.
#ifndef TACET_VAULT_HEAP_COUNTER_H_
#define TACET_VAULT_HEAP_COUNTER_H_

#include <cstddef>

namespace tacet::vault::heap_counter {

// Bytes currently allocated through operator new, and the most since ResetPeak(). Thread-safe.
size_t Current();
size_t Peak();
// Makes the peak equal to Current().
void ResetPeak();

}  // namespace tacet::vault::heap_counter

#endif  // TACET_VAULT_HEAP_COUNTER_H_
