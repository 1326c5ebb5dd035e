package dev.tacet;

import java.nio.charset.StandardCharsets;

/**
 * What every failed call throws: the C API's status and the reason it gave
 * ({@code tacet_last_error_message}, e.g. "tacet_record: ... category 'voice' ..."), or the
 * binding's own reason for a failure it detected before calling C (a closed agent, a string that
 * is not valid Unicode). Unchecked, so Kotlin and Java callers handle it where they choose.
 */
public class TacetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status status;
  private final int code;
  private final String reason;

  /** A failure with {@code status} and {@code reason} (never null; "" when none was given). */
  public TacetException(Status status, String reason) {
    this(status, status.code(), reason, null);
  }

  TacetException(Status status, int code, String reason, Throwable cause) {
    super(status.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ": "
        + (reason == null ? "" : reason), cause);
    this.status = status;
    this.code = code;
    this.reason = reason == null ? "" : reason;
  }

  /** Called by the JNI shim: the C status number and the message's UTF-8 bytes. */
  static TacetException fromNative(int code, byte[] message, Throwable cause) {
    String text = message == null ? "" : new String(message, StandardCharsets.UTF_8);
    return new TacetException(Status.fromCode(code), code, text, cause);
  }

  /** The status; never null, never {@link Status#OK}. */
  public Status status() {
    return status;
  }

  /** The C API's status number (useful when {@link #status()} is {@link Status#UNKNOWN}). */
  public int code() {
    return code;
  }

  /** The reason alone, without the status name: the C API's message, or the binding's. */
  public String reason() {
    return reason;
  }
}
