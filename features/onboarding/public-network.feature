@onboarding
Feature: Public-network access (公网接入) — the terminal reaches the acquirer over HTTPS and trusts only the acquirer's certificate
  Over the public network a UnionPay terminal sends the same length-prefixed 8583 frame as on a leased
  line, as the body of an HTTP POST with Content-Type x-ISO-TPDU/x-auth, over TLS (cup8583.md §1.2).
  TLS protects the card data only if the terminal checks who it talks to: a host whose certificate
  does not chain to the CA the terminal was given must get nothing, and the cardholder sees a
  communication failure with nothing charged. The case applies to terminals whose profile declares
  publicNetwork: https; it puts the terminal on the host's HTTPS front with a CA made for the run,
  and puts it back on its own link afterwards.

  @CUP-ONB-020 @severity:critical @optional @contact
  Scenario: Public-network access — the frames go over TLS in the x-ISO-TPDU/x-auth wrapper, and a host the terminal cannot authenticate gets nothing
    Given the terminal declares public-network access
    And the terminal reaches the host over the public network, trusting the lab CA
    When a sale of 23.00 is made with card UP-DEBIT-IC by inserting
    Then every request reached the host over TLS in the public-network wrapper
    And the host received a sale request
    And the host approved it
    When the host presents a certificate that does not chain to the lab CA
    And a sale of 24.00 is made with card UP-DEBIT-IC by inserting
    Then the terminal sent nothing to the host with that certificate
    And the terminal shows a communication failure
    And no screen showed "交易成功"
    And the card UP-DEBIT-IC is debited 23.00
