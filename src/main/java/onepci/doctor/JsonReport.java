package onepci.doctor;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code {"checks":[{"name":...,"status":...,"subject":...,"message":...,"fix":...}],"fixes":[...],
 * "summary":{...}}} on one line, without spaces between tokens, so that scripts can match it with
 * grep as well as parse it. {@code fixes} holds each distinct fix once, in the order of the checks:
 * what to run to fix the host.
 */
public final class JsonReport {

  private JsonReport() {}

  /** The report with the host's summary. */
  public static String render(HostSummary summary, List<Check> checks) {
    StringBuilder sb = body(checks);
    sb.append(",\"summary\":{");
    field(sb, "text", summary.text()).append(',');
    sb.append("\"nvidia_gpus\":").append(summary.gpuModels().size()).append(",\"models\":[");
    for (int i = 0; i < summary.gpuModels().size(); i++) {
      string(i > 0 ? sb.append(',') : sb, summary.gpuModels().get(i));
    }
    sb.append("],");
    field(sb, "iommu", summary.iommu()).append(",\"iommu_groups\":").append(Math.max(0, summary.iommuGroups()));
    summary.board().ifPresent(b -> field(sb.append(','), "board", b));
    return sb.append("}}\n").toString();
  }

  /** The checks and fixes, without the summary. */
  public static String render(List<Check> checks) {
    return body(checks).append("}\n").toString();
  }

  private static StringBuilder body(List<Check> checks) {
    StringBuilder sb = new StringBuilder(128 + checks.size() * 200);
    sb.append("{\"checks\":[");
    for (int i = 0; i < checks.size(); i++) {
      Check c = checks.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append('{');
      field(sb, "name", c.name()).append(',');
      field(sb, "status", c.status().word()).append(',');
      field(sb, "subject", c.subject()).append(',');
      field(sb, "message", c.message()).append(',');
      field(sb, "fix", c.fix());
      sb.append('}');
    }
    sb.append("],\"fixes\":[");
    Set<String> fixes = new LinkedHashSet<>();
    for (Check c : checks) {
      if (!c.fix().isEmpty()) {
        fixes.add(c.fix());
      }
    }
    int i = 0;
    for (String f : fixes) {
      string(i++ > 0 ? sb.append(',') : sb, f);
    }
    return sb.append(']');
  }

  private static StringBuilder field(StringBuilder sb, String key, String value) {
    string(sb, key).append(':');
    return string(sb, value);
  }

  /** A JSON string (RFC 8259): quote, backslash and control characters escaped, the rest as is. */
  static StringBuilder string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"');
  }
}
