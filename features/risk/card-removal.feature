@risk
Feature: Risk — the card left in the reader after a chip transaction
  After a chip (contact) transaction a conformant terminal asks the cardholder to take the card back
  (请拔卡 / 请取卡 / 请取走卡片 …, judged by meaning) and beeps while it stays; it does not return to idle
  with the card still in the reader, so no next transaction can read that card without it being
  presented again.

  @CUP-RSK-021 @severity:critical @mandatory @contact
  Scenario: After an inserted sale the terminal asks for the card back and does not go idle with it in
    Given a sale of 10.00 was approved for card UP-DEBIT-IC by inserting
    When the card is left in the reader for 3 seconds
    Then the terminal asked for the card back with beeps and did not return to idle
    And the host received 1 sale requests
    When the cardholder takes the card out
    Then the terminal returns to idle
