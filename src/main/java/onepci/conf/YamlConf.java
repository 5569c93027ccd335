package onepci.conf;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;
import org.yaml.snakeyaml.events.StreamEndEvent;

/**
 * pci.conf through SnakeYAML's parser, for the texts {@link PlainConf} does not read, built into
 * values the way Ruby's Psych ({@code YAML.load_file}, the stock probe's reader) builds them: the
 * first document only, plain scalars typed by {@link PsychScalar}, quoted ones text, a repeated key
 * keeping its last value, aliases and class tags refused. Kept apart from {@link PciConf} so that
 * a run with a plain pci.conf loads no SnakeYAML class at all.
 */
final class YamlConf {

  private static final String STR = "tag:yaml.org,2002:str";

  private YamlConf() {}

  /**
   * The first document's mapping; null when the file holds no document or an empty one. A syntax
   * error, or what Psych refuses, is a {@link ConfigException} naming the line.
   */
  static Map<String, ConfValue> load(Path file, String text) throws ConfigException {
    LoaderOptions options = new LoaderOptions();
    Iterator<Event> events = new Yaml(options).parse(new StringReader(tabsAfterIndicators(text))).iterator();
    try {
      events.next(); // stream start
      Event first = events.next();
      if (first instanceof StreamEndEvent || !(first instanceof DocumentStartEvent)) {
        return null;
      }
      ConfValue root = new Builder(file, events).value(events.next());
      // Psych.load reads the first document and stops there: what follows is never looked at.
      if (root.value() == null) {
        return null;
      }
      if (!(root.value() instanceof Map<?, ?> map)) {
        throw new ConfigException(file, "line " + root.line() + ": the top level must be a mapping such as  :filter: '10de:*'");
      }
      @SuppressWarnings("unchecked")
      Map<String, ConfValue> doc = (Map<String, ConfValue>) map;
      return doc;
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String where = m == null ? "" : "line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1) + ": ";
      String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
      Mark c = e.getContextMark();
      String context =
          e.getContext() == null ? ""
              : c != null && m != null && c.getLine() != m.getLine()
                  ? " (" + e.getContext() + " that starts on line " + (c.getLine() + 1) + ")"
                  : " (" + e.getContext() + ")";
      throw new ConfigException(file, where + "not valid YAML: " + problem + context);
    } catch (ReaderException e) {
      int line = 1;
      for (int k = 0; k < e.getPosition() && k < text.length(); k++) {
        line += text.charAt(k) == '\n' ? 1 : 0;
      }
      throw new ConfigException(
          file, String.format("line %d: not valid YAML: the character U+%04X is not allowed in YAML text", line, e.getCodePoint()));
    } catch (YAMLException e) {
      throw new ConfigException(file, "not valid YAML: " + e.getMessage());
    }
  }

  /**
   * The text with each tab that libyaml (Psych) takes as a blank between tokens made a space, as
   * SnakeYAML takes only spaces there: a tab after an indicator ({@code :} {@code ,} {@code [}
   * {@code ]} {@code {} {@code }}) or a blank, or before the end of the line or a comment, outside
   * quotes and past the indentation. Tabs in the indentation (refused by both) and inside a word or
   * quotes stay. Lines and columns stay as they were. A line with an unclosed quote (a quoted text
   * over several lines) ends the rewriting.
   */
  static String tabsAfterIndicators(String text) {
    if (text.indexOf('\t') < 0) {
      return text;
    }
    char[] c = text.toCharArray();
    int start = 0;
    while (start < c.length) {
      int end = start;
      while (end < c.length && c[end] != '\n') {
        end++;
      }
      int k = start;
      while (k < end && c[k] == ' ') {
        k++;
      }
      char quote = 0;
      for (int first = k; k < end; k++) {
        char ch = c[k];
        if (quote != 0) {
          if (ch == quote) {
            quote = 0;
          }
        } else if (ch == '\'' || ch == '"') {
          quote = ch;
        } else if (ch == '#' && (k == first || c[k - 1] == ' ')) {
          break;
        } else if (ch == '\t' && k > first && (" :,[]{}".indexOf(c[k - 1]) >= 0 || blankToEnd(c, k, end))) {
          c[k] = ' ';
        }
      }
      if (quote != 0) {
        break;
      }
      start = end + 1;
    }
    return new String(c);
  }

  /** Only blanks from {@code k} to the end of the line or a comment. */
  private static boolean blankToEnd(char[] c, int k, int end) {
    for (; k < end; k++) {
      if (c[k] == '#') {
        return true;
      }
      if (c[k] != ' ' && c[k] != '\t') {
        return false;
      }
    }
    return true;
  }

  /** Builds one document's values from its events. */
  private record Builder(Path file, Iterator<Event> events) {

    ConfValue value(Event e) throws ConfigException {
      int line = e.getStartMark().getLine() + 1;
      if (e instanceof AliasEvent a) {
        throw new ConfigException(
            file,
            "line " + line + ": *" + a.getAnchor() + " is an alias; the stock probe's YAML reader refuses aliases, write the value out");
      }
      if (e instanceof ScalarEvent s) {
        return new ConfValue(scalar(s, line), line);
      }
      if (e instanceof CollectionStartEvent c) {
        String tag = c.getTag();
        boolean isMap = e instanceof MappingStartEvent;
        if (tag != null && !tag.equals("!") && !tag.equals(isMap ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq")) {
          throw unsupportedTag(tag, line);
        }
        return isMap ? new ConfValue(mapping(), line) : new ConfValue(sequence(), line);
      }
      throw new ConfigException(file, "line " + line + ": not valid YAML");
    }

    private Object scalar(ScalarEvent s, int line) throws ConfigException {
      String tag = s.getTag();
      if (tag != null && !tag.equals("!") && !tag.equals(STR)) {
        throw unsupportedTag(tag, line);
      }
      if (!s.isPlain() || STR.equals(tag)) {
        return s.getValue();
      }
      Object v = PsychScalar.read(s.getValue());
      if (v instanceof PsychScalar.Other o && o.refused()) {
        throw new ConfigException(
            file,
            "line " + line + ": " + s.getValue() + " is read by YAML as " + o.what()
                + ", which the stock probe's YAML reader refuses; quote it: '" + s.getValue() + "'");
      }
      return v == PsychScalar.NULL ? null : v;
    }

    private List<ConfValue> sequence() throws ConfigException {
      List<ConfValue> out = new ArrayList<>();
      for (Event e = events.next(); !e.is(Event.ID.SequenceEnd); e = events.next()) {
        out.add(value(e));
      }
      return out;
    }

    private Map<String, ConfValue> mapping() throws ConfigException {
      Map<String, ConfValue> out = new LinkedHashMap<>();
      for (Event e = events.next(); !e.is(Event.ID.MappingEnd); e = events.next()) {
        ConfValue key = value(e);
        if (e instanceof ScalarEvent s && s.isPlain() && s.getValue().equals("<<")) {
          throw new ConfigException(
              file, "line " + key.line() + ": merge keys (<<) are not supported; write the keys out");
        }
        String name = key.value() instanceof String k ? k : e instanceof ScalarEvent s ? s.getValue() : "(" + ConfValue.describe(key.value()) + ")";
        ConfValue value = value(events.next());
        // named by its key's line; a repeated key: the last one wins, in the first one's place, as in Psych
        out.put(name, new ConfValue(value.value(), key.line()));
      }
      return out;
    }

    private ConfigException unsupportedTag(String tag, int line) {
      return new ConfigException(file, "line " + line + ": the tag " + tag + " is not supported here; remove it");
    }
  }
}
