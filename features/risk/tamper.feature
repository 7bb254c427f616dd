@risk
Feature: Risk — tampered terminal
  A terminal whose tamper sensor has tripped must not transact: it warns and sends nothing.

  @CUP-RSK-020 @severity:blocker @mandatory @contact
  Scenario: A tampered terminal refuses to transact and warns
    Given the terminal's tamper sensor has tripped
    When the operator tries a sale of 10.00 with card UP-DEBIT-IC by inserting
    Then the screen shows "终端已被拆机"
    And no screen asked for a card
    And the host received no financial request
