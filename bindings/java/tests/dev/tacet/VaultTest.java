package dev.tacet;

import static dev.tacet.TestSupport.assertStatus;
import static dev.tacet.TestSupport.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultTest {
  @TempDir Path dir;

  @Test
  void aCorrectionKeepsTheOldValueInTheHistory() {
    try (Agent agent = Agent.open(options(dir))) {
      TacetException e = assertStatus(Status.PERMISSION_DENIED,
          () -> agent.vaultAdd("voice", "voice_commands", "play jazz", ChangeSource.APP));
      assertTrue(e.reason().startsWith("tacet_vault_add: vault"), e.reason());
      agent.setCategoryProvided("contact", true, DecisionSource.USER);
      long id = agent.vaultSet("contact", "email_address", "ada@example.org", ChangeSource.USER);
      assertEquals(id,
          agent.vaultSet("contact", "email_address", "ada@example.net", ChangeSource.USER));
      agent.vaultCorrect(id, "ada@example.com", ChangeSource.APP);

      VaultRecord r = agent.vaultGet(id);
      assertEquals("ada@example.com", r.value());
      assertEquals(3, r.version());
      assertEquals("contact", r.category());
      assertEquals("email_address", r.field());
      assertEquals(ChangeSource.APP, r.source());
      List<VaultRecord> list = agent.vaultList("contact", "email_address");
      assertEquals(1, list.size());
      List<VaultVersion> history = agent.vaultHistory("contact", "email_address");
      assertEquals(List.of("ada@example.org", "ada@example.net", "ada@example.com"),
          history.stream().map(VaultVersion::value).collect(Collectors.toList()));
      assertEquals(0, history.get(2).replacedUnixMs());
      assertTrue(history.get(0).replacedUnixMs() > 0);
      agent.verifyVault();
      agent.verifyAudit();

      assertStatus(Status.ALREADY_EXISTS,
          () -> agent.vaultAdd("contact", "email_address", "b@example.org", ChangeSource.USER));
      assertStatus(Status.NOT_FOUND,
          () -> agent.vaultSet("contact", "no_such_field", "x", ChangeSource.USER));
      assertStatus(Status.NOT_FOUND, () -> agent.vaultGet(9999));
      assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.vaultSet("contact", "email_address", (String) null, ChangeSource.USER));

      ErasureResult erased = agent.vaultErase("contact");
      assertEquals(1, erased.records());
      assertEquals(2, erased.historyEntries());
      assertEquals(0, agent.vaultList("contact", "email_address").size());
      agent.vaultEraseAll();
    }
  }

  @Test
  void textOutsideTheBasicPlaneRoundTripsAsRealUtf8() {
    // JNI's "modified UTF-8" would encode U+1F600 as two 3-byte surrogates; Tacet must see the
    // 4-byte form.
    String name = "Zo\u00eb \uD83D\uDE00 \u6771\u4eac";
    try (Agent agent = Agent.open(options(dir))) {
      agent.setCategoryProvided("contact", true, DecisionSource.USER);
      long id = agent.vaultSet("contact", "postal_address", name, ChangeSource.USER);
      VaultRecord r = agent.vaultGet(id);
      assertEquals(name, r.value());
      assertEquals(name.getBytes(StandardCharsets.UTF_8).length, r.valueBytes().length);
    }
  }

  @Test
  void theExportAndReportHoldTheUsersData() throws IOException {
    Path out = dir.resolve("export.json");
    Path html = dir.resolve("report.html");
    try (Agent agent = Agent.open(options(dir))) {
      agent.setCategoryProvided("contact", true, DecisionSource.USER);
      agent.vaultSet("contact", "email_address", "ada@example.org", ChangeSource.USER);
      ExportSummary s = agent.exportToFile(out);
      assertEquals(1, s.records());
      String json = Files.readString(out);
      assertTrue(json.startsWith("{") && json.contains("ada@example.org"), json);
      assertTrue(json.contains("category:contact"), "the consent decisions are in it");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));

      ByteArrayOutputStream memory = new ByteArrayOutputStream();
      assertEquals(1, agent.exportTo(memory).records());
      String streamed = memory.toString(StandardCharsets.UTF_8);
      assertTrue(streamed.contains("ada@example.org"));

      ReportSummary rs = agent.reportToFile(html);
      assertEquals(1, rs.records());
      String page = Files.readString(html).toLowerCase(java.util.Locale.ROOT);
      assertTrue(page.contains("<html") && page.contains("ada@example.org"));

      // Refused inside the device folder; nothing written.
      assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.exportToFile(dir.resolve("device/tacet.db")));
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.exportToFile((Path) null));
    }
  }

  @Test
  @SuppressWarnings("try") // close() from inside is the point
  void aStreamThatThrowsStopsTheExportWithItsException() {
    try (Agent agent = Agent.open(options(dir))) {
      OutputStream broken = new OutputStream() {
        @Override public void write(int b) throws IOException {
          throw new IOException("disk full");
        }
      };
      TacetException e = assertStatus(Status.UNAVAILABLE, () -> agent.exportTo(broken));
      assertInstanceOf(IOException.class, e.getCause());
      assertEquals("disk full", e.getCause().getMessage());
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.reportTo(null));
      // The agent still works, and a stream cannot close it from inside.
      OutputStream closing = new OutputStream() {
        @Override public void write(int b) {
          agent.close();
        }
      };
      e = assertStatus(Status.UNAVAILABLE, () -> agent.exportTo(closing));
      assertInstanceOf(TacetException.class, e.getCause());
      assertTrue(!agent.isClosed());
    }
  }
}
