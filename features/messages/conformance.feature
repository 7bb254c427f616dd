@messages
Feature: Messages — every message the terminal sends conforms to the CUP POS dialect
  A host simulator in scheme certification validates every message a terminal sends, whatever the
  case is about. poscert judges every request the host journal holds of this worker's terminal
  against the transaction catalogue's field rules (must / may / must not) and cup8583.md's
  cross-field rules (F22 with F55 and the PIN block, F26 and F53 with the PIN block, 53.2 with the key
  scheme, 60.1 with F3, 60.3 for the kind, F49 = 156, F61 against its original, the MAC where
  required, a reversal against its original, F55 as EMV data: tag lengths, §3.11's mandatory tags,
  9C / 9F02 / 5F2A / 9A / 9F27 / 9F34 against the message). Every case carries its own findings as evidence
  (message-conformance.txt); this case fails on any error-level finding in the run so far on this
  terminal, its own sale, void and balance inquiry included, so it judges something in every worker.
  It runs after the other areas (cucumber.js), so in a one-worker run it judges the whole plan's traffic.

  @CUP-MSG-001 @severity:critical @mandatory @contact
  Scenario: Every message the terminal sent conforms
    Given a sale of 12.00 was approved for card UP-DEBIT-IC by inserting
    And the last transaction was voided with card UP-DEBIT-IC by inserting
    When the operator selects "余额查询"
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    Then the screen shows the balance of card UP-DEBIT-IC
    And every message the terminal sent conforms to the CUP POS dialect
