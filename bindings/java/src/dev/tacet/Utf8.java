package dev.tacet;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strings cross the boundary as real UTF-8 bytes (never JNI's modified UTF-8): encoded here,
 * strictly, so a lone surrogate is an error rather than a silent '?'; decoded with
 * {@code new String(bytes, UTF_8)}.
 */
final class Utf8 {
  private Utf8() {}

  /** The UTF-8 bytes of {@code s}, or null for null (the C API then names the NULL argument). */
  static byte[] encode(String what, String s) {
    if (s == null) return null;
    try {
      ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(s));
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new TacetException(Status.INVALID_ARGUMENT,
          what + " is not valid Unicode (it holds a lone surrogate)");
    }
  }

  static String decode(byte[] bytes) {
    return bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
  }
}
