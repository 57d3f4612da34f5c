package dev.ephemeral.lambda.archfixture.a;

import dev.ephemeral.lambda.archfixture.b.Invoice;

/** Half of a package cycle that PackageDependenciesTest expects its rule to report. */
public record Order(String id) {

  public Invoice invoice() {
    return new Invoice(this);
  }
}
