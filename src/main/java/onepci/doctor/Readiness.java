package onepci.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onepci.conf.PciConf;
import onepci.one.TemplateEscaper;
import onepci.sysfs.HostPaths;
import onepci.sysfs.PciAddress;
import onepci.sysfs.PciDevice;

/**
 * Whether the devices the probe offers can be passed through now, as host attributes OpenNebula
 * merges into the host's template at every monitoring cycle: judged by doctor's own checks
 * ({@link Doctor#forReadiness}), on the devices of the same probe run.
 *
 * @param state what the scheduler requirement {@code PCI_PASSTHROUGH = READY} matches
 * @param issues the failing checks, each {@code name: message} (host) or {@code name 41:00.0,c1:00.0: message}
 *     (the devices it fails for with this message), without doctor's fixes, at most {@link #ISSUE_LIMIT} of them; none when there are none
 * @param blocked the offered devices a failing check is about, as their SHORT_ADDRESS
 */
public record Readiness(State state, List<String> issues, List<String> blocked) {

  /** The values of {@code PCI_PASSTHROUGH}. */
  public enum State {
    /** The filter offers devices and every one of them can be passed through now. */
    READY,
    /** Some offered devices can be passed through, some cannot (PCI_PASSTHROUGH_BLOCKED). */
    PARTIAL,
    /** A check of the whole host fails, or no offered device can be passed through. */
    NOT_READY,
    /** The filter offers no device. */
    NONE,
    /** Readiness could not be worked out (PCI_PASSTHROUGH_ISSUES says why). */
    UNKNOWN
  }

  /** The separator between two issues: doctor's messages use {@code ;} and {@code ,} themselves. */
  static final String ISSUE_SEPARATOR = " | ";

  /** The most issues printed: every host's report shares one UDP message of 64 KiB with all probes. */
  static final int ISSUE_LIMIT = 8;

  public Readiness {
    issues = List.copyOf(issues);
    blocked = List.copyOf(blocked);
  }

  /**
   * Judges the devices a probe run offers.
   *
   * @param config the pci.conf the probe read (named in messages)
   * @param offered the devices the probe printed, as it read them
   */
  public static Readiness of(HostPaths paths, Path config, PciConf conf, List<PciDevice> offered) {
    return judge(Doctor.forReadiness(HostState.ofOffered(paths, config, conf, offered)), offered);
  }

  /** When the checks themselves failed to run: the reason, and nothing claimed about the devices. */
  public static Readiness unknown(String reason) {
    return new Readiness(State.UNKNOWN, List.of(reason), List.of());
  }

  static Readiness judge(List<Check> checks, List<PciDevice> offered) {
    Set<String> devices = new LinkedHashSet<>();
    for (PciDevice d : offered) {
      devices.add(d.address().toString());
    }
    // one issue per check and message: the same problem of eight GPUs is one issue naming the eight
    Map<String, List<String>> subjectsByIssue = new LinkedHashMap<>();
    Set<String> blockedSubjects = new LinkedHashSet<>();
    boolean hostFails = false;
    for (Check c : checks) {
      if (c.status() != Status.FAIL) {
        continue;
      }
      List<String> subjects = subjectsByIssue.get(c.name() + "\n" + c.message());
      if (subjects == null) {
        subjects = new ArrayList<>();
        subjectsByIssue.put(c.name() + "\n" + c.message(), subjects);
      }
      if (devices.contains(c.subject())) {
        blockedSubjects.add(c.subject());
        subjects.add(PciAddress.parseOrNull(c.subject()).shortAddress());
      } else {
        hostFails = true;
      }
    }
    // the host's problems first: each of them alone makes the host NOT_READY
    List<Map.Entry<String, List<String>>> ordered = new ArrayList<>();
    for (boolean host : new boolean[] {true, false}) {
      for (Map.Entry<String, List<String>> e : subjectsByIssue.entrySet()) {
        if (e.getValue().isEmpty() == host) {
          ordered.add(e);
        }
      }
    }
    List<String> issues = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : ordered) {
      if (issues.size() == ISSUE_LIMIT) {
        issues.add("and " + (subjectsByIssue.size() - ISSUE_LIMIT) + " more: run 'one-pci doctor' on the host");
        break;
      }
      String[] nameAndMessage = e.getKey().split("\n", 2);
      String subjects = e.getValue().isEmpty() ? "" : " " + String.join(",", e.getValue());
      issues.add(nameAndMessage[0] + subjects + ": " + nameAndMessage[1]);
    }
    List<String> blocked = new ArrayList<>();
    for (PciDevice d : offered) {
      if (blockedSubjects.contains(d.address().toString())) {
        blocked.add(d.address().shortAddress());
      }
    }
    State state;
    if (offered.isEmpty()) {
      state = State.NONE;
    } else if (hostFails || blocked.size() == offered.size()) {
      state = State.NOT_READY;
    } else if (!blocked.isEmpty()) {
      state = State.PARTIAL;
    } else {
      state = State.READY;
    }
    return new Readiness(state, issues, blocked);
  }

  /** The three host attributes, one a line, after the probe's PCI vectors. */
  public String format() {
    return "PCI_PASSTHROUGH = \"" + state + "\"\n"
        + "PCI_PASSTHROUGH_ISSUES = \"" + TemplateEscaper.escape(oneLine(String.join(ISSUE_SEPARATOR, issues))) + "\"\n"
        + "PCI_PASSTHROUGH_BLOCKED = \"" + String.join(",", blocked) + "\"\n";
  }

  /** A line break in a value is valid for oned but breaks {@code onehost list}'s columns. */
  private static String oneLine(String s) {
    return s.replace('\n', ' ').replace('\r', ' ');
  }
}
