package dev.ephemeral.lambda; public class OperatorMain { public static void main(String[] a){} }
