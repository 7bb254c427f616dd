@risk
Feature: Risk — tampered terminal
  A terminal whose tamper sensor has tripped must not transact: it warns and sends nothing.

  @CUP-RSK-020 @severity:blocker @mandatory
  Scenario: A tampered terminal refuses to transact and warns
    Given the terminal's tamper sensor has tripped
    When the operator selects "消费"
    Then the screen shows "终端已被拆机"
    And no screen asked for a card
    And the host received no financial request
