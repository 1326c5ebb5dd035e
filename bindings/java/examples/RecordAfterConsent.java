// An app records a voice command for its voice features, which the policy allows only after the
// user's consent: refused before, stored after. Run:
//   java -Djava.library.path=<dir of libtacet_jni.so> -cp tacet.jar:tacet-example.jar \
//       RecordAfterConsent /path/to/device-folder
import dev.tacet.Agent;
import dev.tacet.ConsentState;
import dev.tacet.DecisionSource;
import dev.tacet.EventField;
import dev.tacet.LogLevel;
import dev.tacet.Options;
import dev.tacet.RecordResult;
import dev.tacet.Status;
import dev.tacet.TacetException;
import java.util.List;

public final class RecordAfterConsent {
  private RecordAfterConsent() {}

  public static void main(String[] args) {
    String folder = args.length > 0 ? args[0] : "tacet-device";
    List<EventField> command = List.of(EventField.of("voice.voice_commands", "play jazz"));
    try (Agent agent = Agent.open(new Options().dataDir(folder).logLevel(LogLevel.WARNING))) {
      // Start from a refusal whatever an earlier run left in the folder.
      agent.setPurpose("voice_features", ConsentState.DENIED, DecisionSource.USER);
      try {
        agent.record("voice_features", command, System.currentTimeMillis(), false);
        throw new IllegalStateException("recorded without consent");
      } catch (TacetException e) {
        if (e.status() != Status.PERMISSION_DENIED) throw e;
        System.out.println("before consent: " + e.getMessage());
      }
      // The user opts in on the settings screen: provides voice data, allows the purpose.
      agent.setCategoryProvided("voice", true, DecisionSource.USER);
      agent.setPurpose("voice_features", ConsentState.GRANTED, DecisionSource.USER);
      RecordResult r = agent.record("voice_features", command, System.currentTimeMillis(), false);
      System.out.println("after consent: stored event " + r.eventId() + ", queued "
          + agent.recordCounts().queued());
    }
  }
}
