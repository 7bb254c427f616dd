@payment
Feature: Payment — sale (消费) by swipe, insert and tap
  A sale must reach the acquirer with the entry mode the card was really read with, the amount typed,
  an encrypted PIN block, IC data for chip reads and a valid MAC; the cardholder's account is debited
  exactly once and the terminal says so.

  Scenario Outline: Sale by <read> — what the host receives and what the terminal shows
    When the operator selects "消费"
    And the operator enters the amount 88.00
    Then the screen shows "88.00"
    When the cardholder <entry> card <card>
    And the cardholder <pin>
    Then the screen shows "交易成功"
    And the host received a sale request
    And its amount is 88.00
    And its entry mode is "<mode>"
    And its MAC is present and valid
    And it <pinblock> PIN block
    And it <ic> IC data
    And it <pan> card number in field 2
    And the host approved it
    And the card <card> is debited 88.00
    And the declared voucher copies are printed
    And every amount on every copy is one the host booked
    And no copy names another kind of transaction

    @CUP-PAY-001 @severity:critical @mandatory @magstripe @printer
    Examples: magnetic stripe
      | read  | entry  | card         | pin                    | mode | pinblock             | ic         | pan         |
      | swipe | swipes | UP-DEBIT-MAG | enters the correct PIN | 021  | carries an encrypted | carries no | carries no  |

    @CUP-PAY-002 @severity:critical @mandatory @contact @printer
    Examples: contact chip
      | read   | entry   | card        | pin                    | mode | pinblock             | ic      | pan         |
      | insert | inserts | UP-DEBIT-IC | enters the correct PIN | 051  | carries an encrypted | carries | carries the |

    @CUP-PAY-003 @severity:critical @mandatory @contactless @printer
    Examples: contactless
      | read | entry | card          | pin                    | mode | pinblock   | ic      | pan         |
      | tap  | taps  | UP-DEBIT-CTLS | confirms without a PIN | 072  | carries no | carries | carries the |

  @CUP-PAY-009 @severity:critical @mandatory @contactless @printer
  # Over the QuickPass limits the PIN and the signature are due (TTP profile table, contactless limits),
  # so no copy may say the sale went without them (免密 / 免签).
  Scenario: Contactless above the no-PIN limit asks for the PIN and the signature
    When the operator selects "消费"
    And the operator enters an amount just over the terminal's QuickPass limits
    And the cardholder taps card UP-DEBIT-CTLS
    And the cardholder enters the correct PIN
    Then the screen shows "交易成功"
    And the host received a sale request
    And its amount is the amount entered
    And its entry mode is "071"
    And it carries an encrypted PIN block
    And it carries IC data
    And its CVM results (9F34) say online PIN
    And the declared voucher copies are printed
    And the merchant copy has a signature line
    And no copy is marked 免密 or 免签

  # 小额免密免签: the limits are the terminal's declared ones (profile contactless.noPinLimitFen /
  # noSignatureLimitFen), so every conformant terminal is judged at its own limits.
  @CUP-PAY-015 @severity:critical @mandatory @contactless @printer
  Scenario: A tap at the QuickPass limits goes without PIN and signature (小额免密免签)
    When the operator selects "消费"
    And the operator enters an amount at the terminal's QuickPass limits
    And the cardholder taps card UP-DEBIT-CTLS
    Then the terminal goes on without asking for a PIN
    And the screen shows "交易成功"
    And the host received a sale request
    And its amount is the amount entered
    And it carries no PIN block
    And its CVM results (9F34) say no PIN and no signature
    And the voucher asks for no signature and is marked 免密免签

  @CUP-PAY-016 @severity:normal @optional @magstripe @printer
  # 部分承兑 (cup8583.md §2.4 60.6, §7 10): a terminal that takes partial approval shows, prints and books the
  # amount the issuer approved, never the one asked for. A terminal that does not declare it is skipped.
  Scenario: Partial approval (部分承兑) — the amount the issuer approved is shown, printed and debited
    Given the terminal declares partial approval
    When a sale of 50.00 is made with card UP-PARTIAL by swiping
    Then the host received a sale request
    And it asks for partial approval
    And its amount is 50.00
    And the host approved it in part, for 30.00
    And the screen shows the amount 30.00 as partially approved
    And every copy shows the amount 30.00
    And no copy shows the amount 50.00
    And the card UP-PARTIAL is debited 30.00

  @CUP-PAY-017 @severity:normal @optional @magstripe @printer
  # 电签 (cup8583.md §3.1: 0820, 60.1 07, 60.3 800): on a paperless terminal the cardholder signs on the screen and
  # the terminal uploads the image; the acquirer must hold that image, linked to the approved sale it signs (same
  # terminal, batch + trace, RRN, amount), before the terminal's next transaction. Skipped where not declared.
  Scenario: Electronic signature (电签) — the signature drawn on the screen reaches the acquirer, linked to its sale
    Given the terminal declares electronic signature
    When a sale of 66.00 is made with card UP-DEBIT-MAG by swiping
    Then the host received a sale request
    And the host approved it
    And the cardholder signed on the terminal's screen
    And the host holds that signature, linked to the approved sale
    And the signature is attached to the report

  @CUP-PAY-004 @severity:critical @mandatory @contact @printer
  Scenario Outline: Sale amount <amount> reaches the host and the ledger unchanged
    When a sale of <amount> is made with card UP-CREDIT-IC by inserting
    Then the screen shows "交易成功"
    And the host received a sale request
    And its amount is <amount>
    And the card UP-CREDIT-IC is debited <amount>
    And every copy shows the amount <amount>

    Examples:
      | amount    |
      | 0.01      |
      | 1.00      |
      | 1,000.00  |
      | 12,345.67 |

  @CUP-PAY-005 @severity:critical @mandatory @contact
  Scenario: Sale with a credit card
    When a sale of 256.00 is made with card UP-CREDIT-IC by inserting
    Then the screen shows "交易成功"
    And the host received a sale request
    And the host approved it
    And the card UP-CREDIT-IC is debited 256.00

  @CUP-PAY-006 @severity:normal @mandatory @contact @printer
  Scenario: The cardholder cancels at the PIN prompt — nothing is sent, nothing is charged
    When the operator selects "消费"
    And the operator enters the amount 30.00
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder cancels the PIN entry
    Then the screen shows "交易取消"
    And the host received no financial request
    And the balance of card UP-DEBIT-IC is unchanged
    And no voucher is printed

  @CUP-PAY-007 @severity:critical @mandatory @contact
  Scenario: Consecutive sales carry consecutive trace numbers
    When a sale of 10.00 is made with card UP-DEBIT-IC by inserting
    And a sale of 11.00 is made with card UP-DEBIT-IC by inserting
    And a sale of 12.00 is made with card UP-DEBIT-IC by inserting
    Then the host received 3 sale requests
    And each sale request carries a new trace number
    And the host approved every sale request
    And the card UP-DEBIT-IC is debited 33.00
    And the terminal downloaded parameters unasked at most once

  # CLEAR (清除/退格) deletes the last character typed (TTP §6.4): what F4 carries is what remains.
  @CUP-PAY-018 @severity:normal @mandatory @magstripe
  Scenario: A mistyped digit of the amount taken back with CLEAR leaves the amount meant
    When the operator selects "消费"
    And the operator enters the amount 45.60, taking back a mistyped digit
    And the cardholder swipes card UP-DEBIT-MAG
    And the cardholder enters the correct PIN
    Then the host received a sale request
    And its amount is 45.60
    And the card UP-DEBIT-MAG is debited 45.60

  @CUP-PAY-008 @severity:normal @optional @contact
  Scenario: Sale started by the cash register (ECR)
    When the cash register requests a sale of 66.60
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    Then the cash register receives an approval
    And the host received a sale request
    And its amount is 66.60
    And the card UP-DEBIT-IC is debited 66.60
