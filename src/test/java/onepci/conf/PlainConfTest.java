package onepci.conf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** PlainConf reads the usual pci.conf shapes exactly as YamlConf (Psych's reading) does, and declines the rest. */
class PlainConfTest {

  static Object snake(String text) throws ConfigException {
    return YamlConf.load(Path.of("pci.conf"), text);
  }

  @Test
  void theShippedPciConf() throws Exception {
    String text = Files.readString(Path.of("remotes/etc/im/kvm-probes.d/pci.conf"));

    Map<String, ConfValue> plain = PlainConf.parse(text);

    assertThat(plain).isNotNull().isEqualTo(snake(text));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        ":filter: '*:*'\n",
        ":filter: '10de:*'\n:short_address: []\n:device_name: []\n:nvidia_vendors: ['10de']\n",
        "filter: \"10de:*,15b3::0207\"   # GPUs and NICs\n",
        ":filter:\n  - '10de:*:0300'   # VGA\n  - '10de:*:0302'\n\n# done\n",
        ":filter:\n    - 10de:*\n    - \"15b3:*\"\n:device_name:\n  - 'H100'\n",
        ":filter: 10de:*\n:nvidia_vendors: [10de, '1af4']\n",
        ":filter: '0:0'\r\n:short_address: [ '07:00.0' , \"08:00.0\" ]\r\n",
        ":filter: ~\n:device_name:\n:short_address: null\n",
        ":filter: 'it''s'\n",
        ":device_name: ['A100, H100', 'x']\n",
        ":filter: '10de:*'\n:filter: '15b3:*'\n",
        ":filter:\t'10de:*'\t# tabs around the value\n",
        "\uFEFF:filter: '10de:*'\n",
        ":filter: '10de:*'\n:passthrough_readiness: false\n",
        ":filter: yes\n:passthrough_readiness: Off   # YAML's false\n",
      })
  void readsAsSnakeYamlDoes(String text) throws Exception {
    Map<String, ConfValue> plain = PlainConf.parse(text);

    assertThat(plain).as("read without SnakeYAML").isNotNull();
    assertThat(plain).isEqualTo(snake(text));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "# only a comment\n",
        ":filter: *:*\n",
        ":filter: &a '10de:*'\n",
        ":filter: \"10de:\\x2a\"\n",
        ":filter:\n  nested: map\n",
        ":filter: {a: b}\n",
        ":filter: [[nested]]\n",
        ":filter: 'unclosed\n",
        "---\n:filter: '10de:*'\n",
        ":filter:\n- '10de:*'\n",
        ":filter: |\n  10de:*\n",
        "\t:filter: '10de:*'\n",
        ":filter: '10de:*'\n  continued\n",
        ":filter: ['a',]\n",
        ":filter: 0:0\n",
        ":filter: 0300\n",
        ":short_address: [07:00.0]\n",
        ":filter: 10de:\n",
        ":passthrough_readiness: [false]\n",
        ":filter:\n  - '10de:*'\n   - '15b3:*'\n",
        ":filter:\n  - 10de:*\n   - 15b3:*\n",
        ":filter:\n  - '10de:*'\n - '15b3:*'\n",
        ":filter: '10de:*'\r:x: 'y'\n",
        ":filter: '10de:*\u0001'\n",
        ":filter: 'a\tb'\n",
        ":filter:\n  -\t'10de:*'\n",
      })
  void declinesWhatItDoesNotRead(String text) {
    assertThat(PlainConf.parse(text)).isNull();
  }
}
