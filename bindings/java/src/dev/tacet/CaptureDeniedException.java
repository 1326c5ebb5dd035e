package dev.tacet;

import java.nio.charset.StandardCharsets;

/**
 * A capture gate refused a session ({@link Status#PERMISSION_DENIED}): {@link #denialReason()}
 * says why, as the C API's tacet_denial_reason (e.g. CONSENT_UNKNOWN: ask the user).
 */
public final class CaptureDeniedException extends TacetException {
  private static final long serialVersionUID = 1L;

  private final DenialReason denialReason;

  CaptureDeniedException(String reason, DenialReason denialReason) {
    super(Status.PERMISSION_DENIED, Status.PERMISSION_DENIED.code(), reason, null);
    this.denialReason = denialReason;
  }

  /** Called by the JNI shim. */
  static CaptureDeniedException fromNative(byte[] message, int denial) {
    return new CaptureDeniedException(
        message == null ? "" : new String(message, StandardCharsets.UTF_8),
        DenialReason.fromCode(denial));
  }

  /** Why the gate refused; never {@link DenialReason#NONE}. */
  public DenialReason denialReason() {
    return denialReason;
  }
}
