@risk
Feature: Risk — issuer scripts (发卡行脚本) and their result
  The issuer may send a script with its approval of a chip transaction (field 55 template 71 or 72,
  cup8583.md §3.11), for example to unblock the application or the PIN. The card runs it, and the
  terminal must tell the acquirer what the card did: in a 0620 script-result notice (60.3 951, DF31,
  MAC, §3.1) that the acquirer links to the transaction, at once or before its next online
  transaction, or, when the transaction is reversed, in the reversal's field 55 (§3.8). Card UP-DEBIT-IC-SCRIPT's approvals carry a test script (72).

  @CUP-RSK-022 @severity:critical @mandatory @contact
  Scenario: The terminal reports the issuer script result of an approved chip sale
    Given a sale of 12.00 was approved for card UP-DEBIT-IC-SCRIPT by inserting
    # A terminal may send the notice at once or before its next online transaction: one follows.
    When the operator selects "余额查询"
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    Then the terminal reported the issuer script result of the sale to the host

  @CUP-RSK-023 @severity:normal @mandatory @contact
  Scenario: A chip sale the card declines after running the issuer script is reversed with the script result
    Given the host will corrupt the issuer authentication data of its reply to the next sale request
    And a sale of 33.00 is made with card UP-DEBIT-IC-SCRIPT by inserting
    When a sale of 10.00 was approved for card UP-DEBIT-IC by inserting
    Then the reversal of the sale reported the issuer script result

  # What the card does with the script is its own business; the terminal reports it whatever it is.
  @CUP-RSK-024 @severity:normal @mandatory @contact
  Scenario: A script the card rejects is reported too
    Given a sale of 14.00 was approved for card UP-DEBIT-IC-SCRIPT-REJECTED by inserting
    When the operator selects "余额查询"
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    Then the terminal reported the issuer script result of the sale to the host
