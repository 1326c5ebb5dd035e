package dev.tacet;

/**
 * What a voice session delivers to (tacet_voice_callbacks). Threads: {@link #onFrame} runs on the
 * thread calling {@link Agent#pushVoiceFrame}; {@link #onEnded} on the thread that caused the end
 * (a consent change, a permission change, mute, a device error, the agent closing) or on the
 * pushing thread right after a frame. Inside, only reads and {@link CaptureSession#end()} work;
 * {@link CaptureSession#close()} and {@link Agent#close()} are refused. What these methods throw
 * is caught at the boundary and logged (logger "dev.tacet").
 */
public interface VoiceListener {
  /** One frame of signed 16-bit PCM (interleaved when stereo); the array is the listener's. */
  void onFrame(short[] samples, long captureMonotonicNs);

  /** The agent ended the session; no frame follows. Not called for the caller's own end. */
  default void onEnded(EndReason reason) {}
}
