package dev.ephemeral.lambda.archfixture.b;

import dev.ephemeral.lambda.archfixture.a.Order;

/** The other half of the package cycle in archfixture: it points back at package a. */
public record Invoice(Order order) {}
