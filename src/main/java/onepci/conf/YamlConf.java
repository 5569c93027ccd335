package onepci.conf;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * pci.conf through SnakeYAML, for the texts {@link PlainConf} does not read. Kept apart from
 * {@link PciConf} so that a run with a plain pci.conf loads no SnakeYAML class at all.
 */
final class YamlConf {

  private YamlConf() {}

  /** The document; a syntax error is a {@link ConfigException} naming the line and column. */
  static Object load(Path file, String text) throws ConfigException {
    try {
      return yaml().load(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String where = m == null ? "" : "line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1) + ": ";
      String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
      String context = e.getContext() != null ? " (" + e.getContext() + ")" : "";
      throw new ConfigException(file, where + "not valid YAML: " + problem + context, e);
    } catch (YAMLException e) {
      throw new ConfigException(file, "not valid YAML: " + e.getMessage(), e);
    }
  }

  /** SnakeYAML reading plain scalars as text: only empty and {@code ~}/{@code null} are null. */
  static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(10);
    options.setAllowRecursiveKeys(false);
    Resolver resolver =
        new Resolver() {
          @Override
          protected void addImplicitResolvers() {
            addImplicitResolver(
                org.yaml.snakeyaml.nodes.Tag.NULL, Pattern.compile("^(?:~|null|Null|NULL| )$"), "~nN\0");
            addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.NULL, Pattern.compile("^$"), null);
          }
        };
    DumperOptions dumper = new DumperOptions();
    return new Yaml(new SafeConstructor(options), new Representer(dumper), dumper, options, resolver);
  }
}
