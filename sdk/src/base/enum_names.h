// One table per enum for its stable names, read both ways: NameOf (value -> name) and ParseName
// (name -> value). A module writes the table once and its XName / ParseX functions become one
// line each, so the name and the parse of an enum cannot disagree.
//
//   inline constexpr EnumName<Colour> kColourNames[] = {
//       {Colour::kRed, "red"}, {Colour::kGreen, "green"}};
//   static_assert(EnumNamesAreUnique(kColourNames));
//   const char* ColourName(Colour c) { return NameOf(kColourNames, c, "invalid"); }
//   std::optional<Colour> ParseColour(std::string_view s) { return ParseName(kColourNames, s); }
//
// A table may be any array of structs with a `value` and a `name` member (so a row can carry more,
// such as a sentence for messages). Lookups are linear: the tables are a dozen rows, and a scan
// needs no ordering rule that a later enumerator could break. Everything is constexpr, pure and
// thread-safe, and allocates nothing.
#ifndef TACET_BASE_ENUM_NAMES_H_
#define TACET_BASE_ENUM_NAMES_H_

#include <cstddef>
#include <optional>
#include <string_view>

namespace tacet {

template <typename Enum>
struct EnumName {
  Enum value;
  const char* name;
};

// The row for `value`, or nullptr when the table has none.
template <typename Row, size_t N>
constexpr const Row* FindEnumRow(const Row (&table)[N], decltype(Row::value) value) {
  for (const Row& row : table) {
    if (row.value == value) return &row;
  }
  return nullptr;
}

// The name of `value`, or `fallback` (static storage, like the names) when the table has none.
template <typename Row, size_t N>
constexpr const char* NameOf(const Row (&table)[N], decltype(Row::value) value,
                             const char* fallback) {
  const Row* row = FindEnumRow(table, value);
  return row != nullptr ? row->name : fallback;
}

// The value named exactly `name` (case-sensitive), or nullopt.
template <typename Row, size_t N>
constexpr std::optional<decltype(Row::value)> ParseName(const Row (&table)[N],
                                                        std::string_view name) {
  for (const Row& row : table) {
    if (name == row.name) return row.value;
  }
  return std::nullopt;
}

// The same, for the bool-and-out-parameter style: true and *out set, or false and *out untouched.
template <typename Row, size_t N>
constexpr bool ParseName(const Row (&table)[N], std::string_view name,
                         decltype(Row::value)* out) {
  const std::optional<decltype(Row::value)> value = ParseName(table, name);
  if (!value) return false;
  *out = *value;
  return true;
}

// True when no value and no name appears twice, so both directions are functions. Meant for a
// static_assert next to each table.
template <typename Row, size_t N>
constexpr bool EnumNamesAreUnique(const Row (&table)[N]) {
  for (size_t i = 0; i < N; ++i) {
    for (size_t j = i + 1; j < N; ++j) {
      if (table[i].value == table[j].value) return false;
      if (std::string_view(table[i].name) == table[j].name) return false;
    }
  }
  return true;
}

}  // namespace tacet

#endif  // TACET_BASE_ENUM_NAMES_H_
