@settlement
Feature: Settlement (结算) — totals, batch upload and the next batch
  At the end of the day the terminal sends its batch totals (0500, field 48). If the acquirer agrees
  the batch is closed; if not, the terminal uploads its transactions (0320) so the acquirer can
  reconcile. Either way the batch empties and the batch number advances. A pending reversal must go
  first so that the totals are right.

  # The Background's settlement closes what earlier cases left in the batch; it is judged like any
  # other (balanced, the terminal's totals equal what the host booked) before the case's own batch.
  Background:
    Given the terminal's batch has been settled

  @CUP-STL-001 @severity:critical @mandatory @contact
  Scenario: Balanced settlement
    Given a sale of 100.00 was approved for card UP-DEBIT-IC by inserting
    And a sale of 50.00 was approved for card UP-CREDIT-IC by inserting
    When the operator settles the batch
    Then the terminal completed the settlement
    And the host received a settlement request
    And the settlement totals the terminal sent equal the host's totals
    And the settlement totals show 2 debits totalling 150.00
    And the host answered the settlement as balanced
    And any batch upload after the balanced settlement is one the profile allows

  @CUP-STL-002 @severity:critical @mandatory @contact
  # The acquirer refuses the reversal of the 20.00 sale (96) and keeps it booked, while the
  # terminal has dropped it: the totals differ and the terminal must upload its batch.
  Scenario: Unbalanced settlement leads to a batch upload and then a balanced batch
    Given a sale of 100.00 was approved for card UP-DEBIT-IC by inserting
    And the host will corrupt the MAC of its reply to the next sale request
    And a sale of 20.00 is made with card UP-DEBIT-IC by inserting
    And the host will answer the next reversal request with response code "96"
    When the operator settles the batch
    Then the host answered the settlement as unbalanced
    And the terminal uploaded every transaction of its batch
    And the host received a batch upload end
    And the acquirer closed the settled batch with every uploaded record
    And the terminal completed the settlement

  @CUP-STL-003 @severity:critical @mandatory @contact
  Scenario: After settlement the batch number advances and the batch is empty
    Given a sale of 30.00 was approved for card UP-DEBIT-IC by inserting
    When the operator settles the batch
    Then the terminal completed the settlement
    And the host answered the settlement as balanced
    When a sale of 31.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a sale request
    And its batch number is one more than the settled batch
    When the operator settles the batch
    Then the settlement totals show 1 debit totalling 31.00
    And the host answered the settlement as balanced

  @CUP-STL-004 @severity:critical @mandatory @contact
  Scenario: A pending reversal goes to the host before the settlement
    Given a sale of 40.00 was approved for card UP-DEBIT-IC by inserting
    And the host will not answer the next sale request
    When a sale of 41.00 is made with card UP-DEBIT-IC by inserting
    And the operator settles the batch
    Then the host received a reversal of the last sale with reason "98"
    And the reversal reached the host before the settlement request
    And the settlement totals show 1 debit totalling 40.00
    And the host answered the settlement as balanced

  @CUP-STL-005 @severity:normal @mandatory @contact
  Scenario: Voids and refunds are counted in the settlement totals
    Given a sale of 100.00 was approved for card UP-DEBIT-IC by inserting
    And a sale of 60.00 was approved for card UP-DEBIT-IC by inserting
    And the last transaction was voided with card UP-DEBIT-IC by inserting
    When the operator settles the batch
    Then the settlement totals the terminal sent equal the host's totals
    And the host answered the settlement as balanced

  @CUP-STL-006 @severity:normal @mandatory
  Scenario: Settling an empty batch
    When the operator settles the batch
    Then the settlement totals show 0 debits totalling 0.00
    And the host answered the settlement as balanced

  @CUP-STL-007 @severity:normal @mandatory @printer @contact
  Scenario: The settlement slip shows the totals
    Given a sale of 12.34 was approved for card UP-DEBIT-IC by inserting
    When the operator settles the batch
    Then a settlement slip is printed
    And the slip shows "结算"
    And the slip shows the amount 12.34
    And the host answered the settlement as balanced

  @CUP-STL-008 @severity:normal @mandatory @contact @acquirer-profile
  Scenario: Bill payments are counted in the settlement totals
    Given a bill payment of 75.00 to "国网上海市电力公司" account "310000123456" was approved for card UP-DEBIT-IC
    And a sale of 25.00 was approved for card UP-DEBIT-IC by inserting
    When the operator settles the batch
    Then the settlement totals show 2 debits totalling 100.00
    And the host answered the settlement as balanced
