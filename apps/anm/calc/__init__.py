"""Pure ANM arithmetic (no Django): flexibility headroom, curtailment under principles of
access, alarm severity. Arrays in, plain values out."""
