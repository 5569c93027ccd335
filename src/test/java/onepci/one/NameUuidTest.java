package onepci.one;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expected values are what {@code uuidgen --sha1 --namespace @x500 --name ADDRESS} prints. */
class NameUuidTest {

  @ParameterizedTest
  @CsvSource({
    "0000:b1:00:4, 0c785a04-3a73-5da8-9596-849244d00810",
    "0000:41:00:5, f86f1cd5-9929-5b66-bfad-a44c80ccb0c0",
  })
  void sameAsUuidgen(String address, String uuid) {
    assertThat(NameUuid.sha1(NameUuid.X500, address).toString()).isEqualTo(uuid);
    assertThat(NameUuid.sha1(NameUuid.X500, address).version()).isEqualTo(5);
  }
}
