@voucher @printer
Feature: Voucher (签购单) — content, copies and reprint
  The voucher is the merchant's proof of the transaction and the cardholder's receipt. Its numbers
  must be those the acquirer assigned, its amount the one authorized, the card number masked. How
  many copies (1, 2 or 3, cup8583.md §6) is the terminal's declared profile; the cardholder copy
  never asks for a signature, the merchant copy (and the bank copy, when printed) always does.

  @CUP-VOU-001 @severity:critical @mandatory @contact
  Scenario: Sale voucher carries every mandatory field
    When a sale of 123.45 is made with card UP-DEBIT-IC by inserting
    Then the declared voucher copies are printed
    And every copy shows the merchant name and number
    And every copy shows the terminal number
    And every copy shows "消费"
    And every copy shows the batch number and voucher number the host received
    And every copy shows the host's authorization code
    And every copy shows the host's reference number
    And every copy shows the transaction date and time
    And every copy shows the amount 123.45
    And every copy shows the card's expiry date
    And every copy names the card's issuer
    And every amount on every copy is one the host booked
    And no copy names another kind of transaction

  @CUP-VOU-002 @severity:blocker @mandatory @magstripe @contact
  Scenario Outline: The card number is masked on every copy (<read>)
    When a sale of 9.90 is made with card <card> by <reading>
    Then the declared voucher copies are printed
    And every copy shows the card number masked
    And no copy shows the full card number

    Examples:
      | read   | card         | reading   |
      | swipe  | UP-DEBIT-MAG | swiping   |
      | insert | UP-DEBIT-IC  | inserting |

  @CUP-VOU-003 @severity:critical @mandatory @contact
  Scenario: The declared copies in order, signed where the copy asks for a signature
    When a sale of 35.00 is made with card UP-DEBIT-IC by inserting
    Then the declared voucher copies are printed
    And every copy is labelled and signed as the profile declares
    And the merchant copy has a signature line

  @CUP-VOU-004 @severity:normal @mandatory @contact
  Scenario: A reprint is marked as such and otherwise identical
    Given a sale of 42.00 was approved for card UP-DEBIT-IC by inserting
    When the operator reprints the last voucher
    Then a reprinted copy is printed
    And every reprinted copy is marked "重打印"
    And every reprinted copy shows the same voucher number and amount as the original
    And the host received no financial request since the sale

  @CUP-VOU-005 @severity:critical @mandatory @contact
  Scenario Outline: The voucher amount is the amount authorized (<amount>)
    When a sale of <amount> is made with card UP-CREDIT-IC by inserting
    Then the host received a sale request
    And its amount is <amount>
    And every copy shows the amount <amount>

    Examples:
      | amount   |
      | 0.99     |
      | 2,500.00 |

  @CUP-VOU-006 @severity:normal @mandatory @contact
  Scenario: Void voucher names the transaction type and the original voucher number
    Given a sale of 58.00 was approved for card UP-DEBIT-IC by inserting
    When the operator voids the last transaction with card UP-DEBIT-IC by inserting
    Then the declared voucher copies are printed
    And every copy shows "撤销"
    And every copy shows the original voucher number
    And every copy shows the amount 58.00
    And every amount on every copy is one the host booked
    And no copy names another kind of transaction

  @CUP-VOU-007 @severity:normal @mandatory @contact
  Scenario: No voucher for a declined transaction
    Given the host will answer the next sale request with response code "05"
    When a sale of 14.00 is made with card UP-DEBIT-IC by inserting
    Then the screen shows "持卡人认证失败"
    And no voucher is printed

  @CUP-VOU-008 @severity:normal @mandatory @contact
  Scenario: Refund voucher shows the original reference number
    Given a sale of 70.00 was approved for card UP-DEBIT-IC by inserting
    When the operator refunds 70.00 of the last transaction with card UP-DEBIT-IC by inserting
    Then the declared voucher copies are printed
    And every copy shows "退货"
    And every copy shows the original reference number
    And every amount on every copy is one the host booked
    And no copy names another kind of transaction

  @CUP-VOU-009 @severity:normal @mandatory @contact
  # cup8583.md §6 ucTicketNum (TTP config voucherCopies): 1 = the merchant copy alone, 3 = merchant, bank and
  # cardholder copies (2, the merchant and cardholder copies, is the count most terminals declare, judged by
  # the other voucher cases). Every count the lab sets must print its copies, not only the one the terminal
  # ships with. Not applicable to a terminal whose copy count is set in its own menu only (not-supported).
  Scenario Outline: Set to a count of <count>, the terminal prints the copies that count names
    Given the terminal is set to print <count> voucher copies
    When a sale of 12.00 is made with card UP-DEBIT-IC by inserting
    Then the copies printed are those a count of <count> names

    Examples:
      | count |
      | 1     |
      | 3     |
